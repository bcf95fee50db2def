#ifndef MAILGATE_CCURL_H
#define MAILGATE_CCURL_H
#include <curl/curl.h>
#endif
