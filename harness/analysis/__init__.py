"""Static analysis of wheels' ELF files (C++ runtime exports)."""
