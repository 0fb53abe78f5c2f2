"""Text that XML 1.0 can carry: every XML writer passes its text through `xml_text`.

XML 1.0 has no escape for most control characters (U+0000–U+001F but tab, LF and CR;
lone surrogates; U+FFFE/U+FFFF): a partner's description with "\\x0b\\x01" in it made
requests.xml unreadable to every XML parser. They carry nothing a person reads, so they
are dropped rather than replaced.
"""

import re

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", value)
