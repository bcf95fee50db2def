#ifndef MAILGATE_CCURL_H
#define MAILGATE_CCURL_H
#include <curl/curl.h>

/* Typed wrappers around libcurl's variadic curl_easy_setopt / curl_easy_getinfo,
   which Swift cannot call. Each passes its argument with the type libcurl expects
   for that option class (long, char *, void *, curl_off_t). */

/* curl_global_init(CURL_GLOBAL_DEFAULT) exactly once per process (pthread_once);
   returns its result (CURLE_OK on success) on every call. */
CURLcode mg_global_init(void);

CURLcode mg_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode mg_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode mg_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode mg_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
/* CURLOPT_WRITEFUNCTION / CURLOPT_HEADERFUNCTION. */
CURLcode mg_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback callback);
/* CURLOPT_READFUNCTION. */
CURLcode mg_setopt_read_callback(CURL *handle, CURLoption option, curl_read_callback callback);

/* CURLINFO_ACTIVESOCKET: the connection's socket (CURL_SOCKET_BAD when none). */
CURLcode mg_getinfo_socket(CURL *handle, curl_socket_t *socket);
CURLcode mg_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode mg_getinfo_string(CURL *handle, CURLINFO info, const char **value);
CURLcode mg_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode mg_getinfo_double(CURL *handle, CURLINFO info, double *value);

/* Ignore SIGPIPE process-wide (a peer closing a socket must not kill the process). */
void mg_ignore_sigpipe(void);

#endif
