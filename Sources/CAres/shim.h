// c-ares (Debian libc-ares-dev, 1.18 on bookworm): the resolver library behind the DNS target.
// Only the classic API is used (ares_init_options, ares_query, ares_getsock/ares_process_fd,
// ares_parse_*_reply), which every c-ares since 1.12 has.
#include <ares.h>
#include <ares_nameser.h>
#include <arpa/inet.h>
