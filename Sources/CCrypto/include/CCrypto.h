#ifndef MAILGATE_CCRYPTO_H
#define MAILGATE_CCRYPTO_H
#include <stddef.h>

/* The few libcrypto (OpenSSL 3, Debian libssl-dev) calls Mailgate needs, as plain C
   functions so Swift sees no OpenSSL types. Each returns 1 on success, 0 on failure. */

/* Incremental SHA-256 through EVP (EVP_DigestInit_ex(EVP_sha256()); SHA256_Init is deprecated
   in OpenSSL 3): spool keys and attachment checksums, streamed for large messages.
   mg_sha256_new returns NULL only when out of memory; mg_sha256_final writes 32 bytes and
   leaves the context reusable only after another mg_sha256_reset. */
void *mg_sha256_new(void);
int mg_sha256_reset(void *context);
int mg_sha256_update(void *context, const void *bytes, size_t length);
int mg_sha256_final(void *context, unsigned char *digest);
int mg_sha256_copy(void *destination, const void *source);
void mg_sha256_free(void *context);

/* SHA-256 of `length` bytes into `digest` (32 bytes). PKCE S256 (RFC 7636 4.2). */
int mg_sha256(const unsigned char *bytes, size_t length, unsigned char *digest);

/* `length` cryptographically random bytes (RAND_bytes): PKCE verifiers, state values. */
int mg_random_bytes(unsigned char *bytes, int length);

/* RSASSA-PKCS1-v1_5 with SHA-256 ("RS256", RFC 7518 3.3) of `message` with the PEM private
   key `pem` (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY", unencrypted). On entry
   *signature_length is the capacity of `signature` (512 bytes fit a 4096-bit key); on
   success it is the signature's length. */
int mg_rs256_sign(const char *pem, size_t pem_length, const unsigned char *message, size_t message_length,
                  unsigned char *signature, size_t *signature_length);

#endif
