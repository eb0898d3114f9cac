/* SPDX-License-Identifier: MIT */
/*
 * mh_names.c — printable names for MH error codes, BA status codes and
 * message types, for logs and odmctl. Status names follow the IANA registry
 * (Mobile IPv6 Parameters, "Status Codes"; RFC 6275 §6.1.8, RFC 4285,
 * RFC 5213 §8.9), not Wireshark 4.0, which mislabels 143–148.
 */
#include "mh.h"

#include <stddef.h>

const char *mh_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case MH_E_TRUNCATED: return "message shorter than its fixed part";
	case MH_E_HDRLEN: return "Header Len disagrees with the message length";
	case MH_E_PROTO: return "Payload Proto is not 59";
	case MH_E_TYPE: return "unknown MH type";
	case MH_E_OPT_OVERRUN: return "mobility option runs past the message";
	case MH_E_OPT_LEN: return "mobility option has a wrong length";
	case MH_E_CHECKSUM: return "bad checksum";
	case MH_E_AUTH: return "authenticator does not verify";
	case MH_E_AUTH_MISSING: return "no authentication option";
	case MH_E_AUTH_NOT_LAST: return "option after the authentication option";
	case MH_E_NOSPACE: return "output buffer too small";
	case MH_E_INVAL: return "invalid argument";
	case MH_E_DUP_OPT: return "duplicate mobility option";
	case MH_E_CRYPTO: return "libcrypto failure";
	default: return "unknown MH error";
	}
}

struct status_name {
	uint8_t code;
	const char *name;
};

static const struct status_name ba_status[] = {
	{ 0, "accepted" },
	{ 1, "accepted, prefix discovery necessary" },
	{ 128, "reason unspecified" },
	{ 129, "administratively prohibited" },
	{ 130, "insufficient resources" },
	{ 131, "home registration not supported" },
	{ 132, "not home subnet" },
	{ 133, "not home agent for this mobile node" },
	{ 134, "duplicate address detection failed" },
	{ 135, "sequence number out of window" },
	{ 136, "expired home nonce index" },
	{ 137, "expired care-of nonce index" },
	{ 138, "expired nonces" },
	{ 139, "registration type change disallowed" },
	{ 144, "MIPV6-ID-MISMATCH" },
	{ 145, "MIPV6-MESG-ID-REQD" },
	{ 146, "MIPV6-AUTH-FAIL" },
	{ 151, "service authorization failed" }, /* RFC 5149 */
	{ 152, "proxy registration not enabled" },
	{ 153, "not LMA for this mobile node" },
	{ 154, "MAG not authorized for proxy registration" },
	{ 155, "not authorized for home network prefix" },
	{ 156, "timestamp mismatch" },
	{ 157, "timestamp lower than previously accepted" },
	{ 158, "missing home network prefix option" },
	{ 159, "binding cache and PBU prefix sets differ" },
	{ 160, "missing mobile node identifier option" },
	{ 161, "missing handoff indicator option" },
	{ 162, "missing access technology type option" },
	{ 174, "invalid care-of address" },
};

const char *mh_status_name(uint8_t status)
{
	size_t i;

	for (i = 0; i < sizeof ba_status / sizeof ba_status[0]; i++)
		if (ba_status[i].code == status)
			return ba_status[i].name;
	return status < 128 ? "accepted (unknown code)"
			    : "rejected (unknown code)";
}

const char *mh_type_name(uint8_t type)
{
	static const char *const names[] = {
		"BRR", "HoTI", "CoTI", "HoT", "CoT", "BU", "BA", "BE",
	};

	if (type < sizeof names / sizeof names[0])
		return names[type];
	return "unknown";
}
