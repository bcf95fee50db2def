// uchardet (Debian libuchardet-dev): the charset detector MIME runs on a message's pooled
// undeclared 8-bit text (Charset/CharsetDetector.swift).
#include <uchardet/uchardet.h>
