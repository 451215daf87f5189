"""XStringToKeysym and XKeysymToString must agree with the X11 protocol's keysym values."""

import x11_control

# keysymdef.h: XK_Return 0xff0d, XK_Escape 0xff1b, XK_a 0x0061, XK_F1 0xffbe
for name, want in (("Return", 0xFF0D), ("Escape", 0xFF1B), ("a", 0x61), ("F1", 0xFFBE)):
    got = x11_control.keysym(name)
    assert got == want, "keysym(%r) = %#x, expected %#x" % (name, got, want)
    back = x11_control.keyname(want)
    assert back == name, "keyname(%#x) = %r, expected %r" % (want, back, name)
print("x11_control: keysyms agree")
