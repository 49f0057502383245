// Small C surface over the system OpenSSL 3 (libcrypto) for mock-okta.
// Keys are opaque EVP_PKEY handles passed as void*.
#ifndef MO_CRYPTO_H
#define MO_CRYPTO_H
#include <stddef.h>
#include <stdint.h>

/// Generate an RSA-2048 key. With seed == NULL the key is random; otherwise it is derived
/// deterministically from the seed bytes (own prime search over SHA-256 counter-mode output).
void *mo_rsa_generate(const unsigned char *seed, size_t seedlen);
void mo_key_free(void *key);
/// PKCS#8 private key PEM ("BEGIN PRIVATE KEY"). Caller frees *out with mo_free.
int mo_key_private_pem(void *key, char **out, size_t *outlen);
/// SubjectPublicKeyInfo PEM. Caller frees *out with mo_free.
int mo_key_public_pem(void *key, char **out, size_t *outlen);
/// Read a private or public key from PEM.
void *mo_key_from_pem(const char *pem, size_t len);
/// Build an RSA public key from big-endian modulus and exponent.
void *mo_key_from_ne(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen);
/// Export modulus and exponent big-endian; buffers must hold 1024 bytes.
int mo_key_ne(void *key, unsigned char *n, size_t *nlen, unsigned char *e, size_t *elen);
/// 1 when the key holds a private part.
int mo_key_is_private(void *key);
/// RSASSA-PKCS1-v1_5 with SHA-256/384/512 (hashbits 256/384/512). sig must hold 1024 bytes.
int mo_sign(void *key, int hashbits, const unsigned char *data, size_t len, unsigned char *sig, size_t *siglen);
/// 1 when valid, 0 otherwise.
int mo_verify(void *key, int hashbits, const unsigned char *data, size_t len, const unsigned char *sig, size_t siglen);
/// SHA-256 / 384 / 512 digest; out must hold 64 bytes; returns digest length.
int mo_digest(int hashbits, const unsigned char *data, size_t len, unsigned char *out);
/* HMAC with SHA-256/384/512 (client_secret_jwt); returns the MAC length, 0 on failure. out: 64 bytes. */
int mo_hmac(int hashbits, const unsigned char *key, size_t keylen, const unsigned char *data, size_t len,
            unsigned char *out);
/// Self-signed CA certificate PEM.
int mo_cert_ca(void *key, const char *cn, long long notBefore, long long notAfter, long serial, char **out, size_t *outlen);
/// Server certificate signed by the CA. sans is an OpenSSL subjectAltName value ("DNS:localhost,IP:127.0.0.1").
int mo_cert_leaf(void *key, void *cakey, const char *capem, const char *cn, const char *sans,
                 long long notBefore, long long notAfter, long serial, char **out, size_t *outlen);
/// Random bytes from the system CSPRNG.
int mo_random(unsigned char *out, size_t len);
/// Last OpenSSL error as text (static buffer, not thread-safe for content but safe to call).
const char *mo_last_error(void);
void mo_free(void *p);
#endif
