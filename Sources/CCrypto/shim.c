#include "CCrypto.h"
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

int mg_sha256(const unsigned char *bytes, size_t length, unsigned char *digest) {
    unsigned int size = 0;
    return EVP_Digest(bytes, length, digest, &size, EVP_sha256(), NULL) == 1 && size == 32;
}

void *mg_sha256_new(void) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) { EVP_MD_CTX_free(ctx); return NULL; }
    return ctx;
}

int mg_sha256_reset(void *context) {
    return EVP_DigestInit_ex((EVP_MD_CTX *)context, EVP_sha256(), NULL) == 1;
}

int mg_sha256_update(void *context, const void *bytes, size_t length) {
    return EVP_DigestUpdate((EVP_MD_CTX *)context, bytes, length) == 1;
}

int mg_sha256_final(void *context, unsigned char *digest) {
    unsigned int size = 0;
    return EVP_DigestFinal_ex((EVP_MD_CTX *)context, digest, &size) == 1 && size == 32;
}

int mg_sha256_copy(void *destination, const void *source) {
    return EVP_MD_CTX_copy_ex((EVP_MD_CTX *)destination, (const EVP_MD_CTX *)source) == 1;
}

void mg_sha256_free(void *context) {
    EVP_MD_CTX_free((EVP_MD_CTX *)context);
}

int mg_random_bytes(unsigned char *bytes, int length) {
    return RAND_bytes(bytes, length) == 1;
}

int mg_rs256_sign(const char *pem, size_t pem_length, const unsigned char *message, size_t message_length,
                  unsigned char *signature, size_t *signature_length) {
    int ok = 0;
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_length);
    if (!bio) return 0;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!key) return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t needed = 0;
    if (ctx && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA
        && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1
        && EVP_DigestSign(ctx, NULL, &needed, message, message_length) == 1
        && needed <= *signature_length
        && EVP_DigestSign(ctx, signature, signature_length, message, message_length) == 1) {
        ok = 1;
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok;
}
