"""The catalog's profiles: where images come from."""

# local: built here from Debian's mirror; official: PyPA's and the distributions' images, pulled.
PROFILES = ("local", "official")
