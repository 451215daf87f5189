"""SHA-512 crypt against the test vectors of the SHA-crypt specification."""

import crypt_sample

VECTORS = [
    ("Hello world!", "$6$saltstring",
     "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"),
    ("Hello world!", "$6$rounds=10000$saltstringsaltstring",
     "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."),
    ("manylinux", "$6$harness$",
     "$6$harness$BaSdlNFzofBiO5uQLx7JBgF1JZNz8DM1Pi/U8hNuOK/29ObIuqU7FaTGBpoy4WGEYVa2IXxJOjeBTyZBG2eV1."),
]
for key, salt, want in VECTORS:
    got = crypt_sample.hash(key, salt)
    assert got == want, "crypt(%r, %r) = %r, expected %r" % (key, salt, got, want)
print("crypt_sample: SHA-512 crypt matches the specification's vectors")
