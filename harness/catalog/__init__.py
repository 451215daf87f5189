"""The catalog: build images, distros, architectures and the sample corpus, as data."""
