#include "net/certificate_info.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <cmath>
#include <cstring>
#include <ctime>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "net/wire_text.h"

namespace mtasts::net {
namespace {

int64_t DaysFloor(absl::Duration d) {
  return static_cast<int64_t>(std::floor(absl::FDivDuration(d, absl::Hours(24))));
}

std::string HexBytes(const unsigned char* p, size_t n, bool colons) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (colons && i > 0) out.push_back(':');
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 0xf]);
  }
  return out;
}

}  // namespace

absl::Time Asn1TimeToTime(const ASN1_TIME* t) {
  if (t == nullptr) return absl::InfinitePast();
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTimeT(timegm(&tm));
}

std::string NameToString(const X509_NAME* name) {
  if (name == nullptr) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  // RFC 2253 escapes control characters and non-ASCII bytes (\C3\A9), so the
  // result is ASCII whatever the certificate holds.
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, len > 0 ? static_cast<size_t>(len) : 0);
  BIO_free(bio);
  return out;
}

CertificateInfo DescribeCertificate(X509* cert, absl::Time now) {
  CertificateInfo info;
  info.subject = NameToString(X509_get_subject_name(cert));
  info.issuer = NameToString(X509_get_issuer_name(cert));
  info.self_issued = X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
  info.not_before = Asn1TimeToTime(X509_get0_notBefore(cert));
  info.not_after = Asn1TimeToTime(X509_get0_notAfter(cert));
  if (info.not_after != absl::InfinitePast()) {
    info.days_to_expiry = DaysFloor(info.not_after - now);
  }
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
      if (gn->type == GEN_DNS) {
        const ASN1_STRING* s = gn->d.dNSName;
        info.dns_names.push_back(PrintableText(
            absl::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                              static_cast<size_t>(ASN1_STRING_length(s))),
            255));
      } else if (gn->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* s = gn->d.iPAddress;
        char text[INET6_ADDRSTRLEN] = "";
        if (ASN1_STRING_length(s) == 4) {
          inet_ntop(AF_INET, ASN1_STRING_get0_data(s), text, sizeof(text));
        } else if (ASN1_STRING_length(s) == 16) {
          inet_ntop(AF_INET6, ASN1_STRING_get0_data(s), text, sizeof(text));
        }
        if (text[0] != '\0') info.ip_addresses.emplace_back(text);
      }
    }
    GENERAL_NAMES_free(names);
  }
  if (const ASN1_INTEGER* serial = X509_get0_serialNumber(cert)) {
    BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
    if (bn != nullptr) {
      char* hex = BN_bn2hex(bn);
      if (hex != nullptr) {
        info.serial_hex = hex;
        OPENSSL_free(hex);
      }
      BN_free(bn);
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) {
    info.sha256_fingerprint = HexBytes(md, md_len, true);
  }
  // DANE (RFC 6698 §2.1.2, §2.1.3): selector 0 hashes the whole certificate,
  // selector 1 its SubjectPublicKeyInfo; matching types 1 and 2 are
  // SHA-256 and SHA-512.
  auto lower_hex = [](const unsigned char* p, size_t n) {
    return absl::AsciiStrToLower(HexBytes(p, n, false));
  };
  if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) info.cert_sha256 = lower_hex(md, md_len);
  if (X509_digest(cert, EVP_sha512(), md, &md_len) == 1) info.cert_sha512 = lower_hex(md, md_len);
  unsigned char* spki = nullptr;
  const int spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &spki);
  if (spki_len > 0 && spki != nullptr) {
    if (EVP_Digest(spki, static_cast<size_t>(spki_len), md, &md_len, EVP_sha256(), nullptr) == 1) {
      info.spki_sha256 = lower_hex(md, md_len);
    }
    if (EVP_Digest(spki, static_cast<size_t>(spki_len), md, &md_len, EVP_sha512(), nullptr) == 1) {
      info.spki_sha512 = lower_hex(md, md_len);
    }
  }
  OPENSSL_free(spki);
  return info;
}

}  // namespace mtasts::net
