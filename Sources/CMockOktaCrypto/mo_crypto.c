#include "mo_crypto.h"
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

static __thread char mo_errbuf[256];

const char *mo_last_error(void) {
    unsigned long e = ERR_get_error();
    if (e == 0) return "unknown OpenSSL error";
    ERR_error_string_n(e, mo_errbuf, sizeof mo_errbuf);
    ERR_clear_error();
    return mo_errbuf;
}

void mo_free(void *p) { free(p); }
void mo_key_free(void *key) { EVP_PKEY_free((EVP_PKEY *)key); }

int mo_random(unsigned char *out, size_t len) { return RAND_bytes(out, (int)len) == 1; }

static const EVP_MD *md_for(int bits) {
    switch (bits) {
    case 160: return EVP_sha1();  /* HMAC-SHA1 for TOTP (RFC 6238) only; never for signatures */
    case 384: return EVP_sha384();
    case 512: return EVP_sha512();
    default: return EVP_sha256();
    }
}

int mo_digest(int hashbits, const unsigned char *data, size_t len, unsigned char *out) {
    unsigned int outlen = 0;
    if (EVP_Digest(data, len, out, &outlen, md_for(hashbits), NULL) != 1) return 0;
    return (int)outlen;
}

int mo_hmac(int hashbits, const unsigned char *key, size_t keylen, const unsigned char *data, size_t len,
            unsigned char *out) {
    unsigned int outlen = 0;
    if (HMAC(md_for(hashbits), key, (int)keylen, data, len, out, &outlen) == NULL) return 0;
    return (int)outlen;
}

/* Deterministic stream: SHA-256(seed || label || counter) blocks. */
static void stream_fill(const unsigned char *seed, size_t seedlen, const char *label, uint32_t *counter,
                        unsigned char *out, size_t len) {
    size_t done = 0;
    size_t labellen = strlen(label);
    unsigned char *buf = malloc(seedlen + labellen + 4);
    while (done < len) {
        memcpy(buf, seed, seedlen);
        memcpy(buf + seedlen, label, labellen);
        uint32_t c = (*counter)++;
        buf[seedlen + labellen] = (unsigned char)(c >> 24);
        buf[seedlen + labellen + 1] = (unsigned char)(c >> 16);
        buf[seedlen + labellen + 2] = (unsigned char)(c >> 8);
        buf[seedlen + labellen + 3] = (unsigned char)c;
        unsigned char block[32];
        unsigned int bl = 0;
        EVP_Digest(buf, seedlen + labellen + 4, block, &bl, EVP_sha256(), NULL);
        size_t take = len - done < 32 ? len - done : 32;
        memcpy(out + done, block, take);
        done += take;
    }
    free(buf);
}

/* Find a 1024-bit prime p with gcd(p-1, e) = 1, starting from a seeded candidate and stepping by 2. */
static BIGNUM *seeded_prime(const unsigned char *seed, size_t seedlen, const char *label, BN_CTX *ctx) {
    unsigned char cand[128];
    uint32_t counter = 0;
    BIGNUM *p = BN_new();
    for (int attempt = 0; attempt < 64; attempt++) {
        stream_fill(seed, seedlen, label, &counter, cand, sizeof cand);
        cand[0] |= 0xC0;
        cand[127] |= 0x01;
        BN_bin2bn(cand, sizeof cand, p);
        for (int step = 0; step < 20000; step++) {
            if (BN_num_bits(p) != 1024) break;
            if (BN_mod_word(p, 65537) != 1) { /* p-1 not divisible by 65537 */
                int r = BN_check_prime(p, ctx, NULL);
                if (r == 1) return p;
            }
            BN_add_word(p, 2);
        }
    }
    BN_free(p);
    return NULL;
}

static EVP_PKEY *rsa_from_parts(BIGNUM *n, BIGNUM *e, BIGNUM *d, BIGNUM *p, BIGNUM *q, BIGNUM *dmp1, BIGNUM *dmq1,
                                BIGNUM *iqmp) {
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    if (!bld) goto done;
    if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        goto done;
    if (d) {
        if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) ||
            !OSSL_PARAM_BLD_push_BN(bld, "rsa-factor1", p) || !OSSL_PARAM_BLD_push_BN(bld, "rsa-factor2", q) ||
            !OSSL_PARAM_BLD_push_BN(bld, "rsa-exponent1", dmp1) ||
            !OSSL_PARAM_BLD_push_BN(bld, "rsa-exponent2", dmq1) ||
            !OSSL_PARAM_BLD_push_BN(bld, "rsa-coefficient1", iqmp))
            goto done;
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    if (!params) goto done;
    pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (!pctx || EVP_PKEY_fromdata_init(pctx) != 1) goto done;
    if (EVP_PKEY_fromdata(pctx, &pkey, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1) pkey = NULL;
done:
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

static EVP_PKEY *seeded_rsa(const unsigned char *seed, size_t seedlen) {
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *p = seeded_prime(seed, seedlen, "mock-okta-rsa-p", ctx);
    BIGNUM *q = seeded_prime(seed, seedlen, "mock-okta-rsa-q", ctx);
    EVP_PKEY *pkey = NULL;
    BIGNUM *n = BN_new(), *e = BN_new(), *d = BN_new(), *p1 = BN_new(), *q1 = BN_new(), *lcm = BN_new(),
           *g = BN_new(), *dmp1 = BN_new(), *dmq1 = BN_new(), *iqmp = BN_new(), *diff = BN_new(), *tmp = BN_new();
    if (!p || !q) goto done;
    if (BN_cmp(p, q) < 0) { BIGNUM *t = p; p = q; q = t; }
    BN_sub(diff, p, q);
    if (BN_num_bits(diff) <= 1024 - 100) goto done;
    BN_set_word(e, 65537);
    BN_mul(n, p, q, ctx);
    BN_sub(p1, p, BN_value_one());
    BN_sub(q1, q, BN_value_one());
    BN_gcd(g, p1, q1, ctx);
    BN_mul(tmp, p1, q1, ctx);
    BN_div(lcm, NULL, tmp, g, ctx);
    if (!BN_mod_inverse(d, e, lcm, ctx)) goto done;
    BN_mod(dmp1, d, p1, ctx);
    BN_mod(dmq1, d, q1, ctx);
    if (!BN_mod_inverse(iqmp, q, p, ctx)) goto done;
    pkey = rsa_from_parts(n, e, d, p, q, dmp1, dmq1, iqmp);
done:
    BN_free(p); BN_free(q); BN_free(n); BN_free(e); BN_free(d); BN_free(p1); BN_free(q1); BN_free(lcm);
    BN_free(g); BN_free(dmp1); BN_free(dmq1); BN_free(iqmp); BN_free(diff); BN_free(tmp);
    BN_CTX_free(ctx);
    return pkey;
}

void *mo_rsa_generate(const unsigned char *seed, size_t seedlen) {
    if (seed == NULL) return EVP_RSA_gen(2048);
    return seeded_rsa(seed, seedlen);
}

static int bio_to_string(BIO *bio, char **out, size_t *outlen) {
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0) return 0;
    *out = malloc((size_t)len + 1);
    memcpy(*out, data, (size_t)len);
    (*out)[len] = 0;
    *outlen = (size_t)len;
    return 1;
}

int mo_key_private_pem(void *key, char **out, size_t *outlen) {
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = PEM_write_bio_PrivateKey(bio, (EVP_PKEY *)key, NULL, NULL, 0, NULL, NULL) == 1 &&
             bio_to_string(bio, out, outlen);
    BIO_free(bio);
    return ok;
}

int mo_key_public_pem(void *key, char **out, size_t *outlen) {
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = PEM_write_bio_PUBKEY(bio, (EVP_PKEY *)key) == 1 && bio_to_string(bio, out, outlen);
    BIO_free(bio);
    return ok;
}

/* One unencrypted "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1) block, decoded as RSA directly: the key
   pool and most key files. PEM_read_bio_PrivateKey asks OpenSSL 3's decoders for every key type and format, which
   costs ~6 ms on first use (a fifth of start-up) and 0.4 ms a key after; the typed d2i costs ~1.3 ms, then 0.1 ms.
   NULL for anything else, which then takes the general path. */
static EVP_PKEY *rsa_private_key_from_pem(const char *pem, size_t len) {
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long derlen = 0;
    EVP_PKEY *k = NULL;
    if (bio && PEM_read_bio(bio, &name, &header, &der, &derlen) == 1 && header && header[0] == '\0'
        && (strcmp(name, "PRIVATE KEY") == 0 || strcmp(name, "RSA PRIVATE KEY") == 0)) {
        const unsigned char *p = der;
        k = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, derlen);
        if (k && p != der + derlen) { EVP_PKEY_free(k); k = NULL; } /* bytes after the key: not ours to guess */
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    BIO_free(bio);
    ERR_clear_error();
    return k;
}

void *mo_key_from_pem(const char *pem, size_t len) {
    EVP_PKEY *fast = rsa_private_key_from_pem(pem, len);
    if (fast && EVP_PKEY_get_base_id(fast) == EVP_PKEY_RSA) return fast;
    EVP_PKEY_free(fast);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    if (!k) {
        ERR_clear_error();
        BIO_free(bio);
        bio = BIO_new_mem_buf(pem, (int)len);
        k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    }
    BIO_free(bio);
    if (k && EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) { EVP_PKEY_free(k); k = NULL; }
    return k;
}

void *mo_key_from_ne(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen) {
    BIGNUM *bn = BN_bin2bn(n, (int)nlen, NULL), *be = BN_bin2bn(e, (int)elen, NULL);
    EVP_PKEY *k = rsa_from_parts(bn, be, NULL, NULL, NULL, NULL, NULL, NULL);
    BN_free(bn); BN_free(be);
    return k;
}

int mo_key_ne(void *key, unsigned char *n, size_t *nlen, unsigned char *e, size_t *elen) {
    BIGNUM *bn = NULL, *be = NULL;
    if (EVP_PKEY_get_bn_param((EVP_PKEY *)key, OSSL_PKEY_PARAM_RSA_N, &bn) != 1) return 0;
    if (EVP_PKEY_get_bn_param((EVP_PKEY *)key, OSSL_PKEY_PARAM_RSA_E, &be) != 1) { BN_free(bn); return 0; }
    *nlen = (size_t)BN_bn2bin(bn, n);
    *elen = (size_t)BN_bn2bin(be, e);
    BN_free(bn); BN_free(be);
    return 1;
}

int mo_key_is_private(void *key) {
    BIGNUM *d = NULL;
    int ok = EVP_PKEY_get_bn_param((EVP_PKEY *)key, OSSL_PKEY_PARAM_RSA_D, &d) == 1 && d != NULL;
    BN_free(d);
    ERR_clear_error();
    return ok;
}

int mo_sign(void *key, int hashbits, const unsigned char *data, size_t len, unsigned char *sig, size_t *siglen) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t sl = 1024;
    int ok = EVP_DigestSignInit(ctx, NULL, md_for(hashbits), NULL, (EVP_PKEY *)key) == 1 &&
             EVP_DigestSign(ctx, sig, &sl, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    *siglen = ok ? sl : 0;
    return ok;
}

int mo_verify(void *key, int hashbits, const unsigned char *data, size_t len, const unsigned char *sig, size_t siglen) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(ctx, NULL, md_for(hashbits), NULL, (EVP_PKEY *)key) == 1 &&
             EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value) {
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (!ex) return 0;
    int ok = X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return ok;
}

static X509 *base_cert(EVP_PKEY *key, const char *cn, long long nb, long long na, long serial) {
    X509 *x = X509_new();
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"mock-okta", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_pubkey(x, key);
    return x;
}

static int cert_pem(X509 *x, char **out, size_t *outlen) {
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = PEM_write_bio_X509(bio, x) == 1 && bio_to_string(bio, out, outlen);
    BIO_free(bio);
    return ok;
}

int mo_cert_ca(void *key, const char *cn, long long nb, long long na, long serial, char **out, size_t *outlen) {
    EVP_PKEY *k = (EVP_PKEY *)key;
    X509 *x = base_cert(k, cn, nb, na, serial);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    int ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") &&
             add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
             add_ext(x, &ctx, NID_subject_key_identifier, "hash") && X509_sign(x, k, EVP_sha256()) > 0 &&
             cert_pem(x, out, outlen);
    X509_free(x);
    return ok;
}

int mo_cert_leaf(void *key, void *cakey, const char *capem, const char *cn, const char *sans, long long nb,
                 long long na, long serial, char **out, size_t *outlen) {
    BIO *bio = BIO_new_mem_buf(capem, -1);
    X509 *ca = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!ca) return 0;
    X509 *x = base_cert((EVP_PKEY *)key, cn, nb, na, serial);
    X509_set_issuer_name(x, X509_get_subject_name(ca));
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
    int ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
             add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") &&
             add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
             add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") &&
             add_ext(x, &ctx, NID_subject_alt_name, sans) && X509_sign(x, (EVP_PKEY *)cakey, EVP_sha256()) > 0 &&
             cert_pem(x, out, outlen);
    X509_free(x);
    X509_free(ca);
    return ok;
}
