/*
 * Byte strings on the wire.  Base64 is libresolv's b64_pton/b64_ntop.
 */
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

void
rs_bytes_free(struct rs_bytes *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->n = 0;
}

int
rs_base64_decode(const char *s, size_t len, struct rs_bytes *out)
{
	char *copy;
	int n;

	out->p = NULL;
	out->n = 0;
	/* b64_pton wants a NUL-terminated string; the output is smaller. */
	if ((copy = strndup(s, len)) == NULL)
		return -1;
	if ((out->p = malloc(len / 4 * 3 + 3)) == NULL) {
		free(copy);
		return -1;
	}
	n = b64_pton(copy, out->p, len / 4 * 3 + 3);
	free(copy);
	if (n < 0) {
		rs_bytes_free(out);
		return -1;
	}
	out->n = (size_t)n;
	return 0;
}

int
rs_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
rs_hex_decode(const char *s, size_t len, struct rs_bytes *out)
{
	size_t i;
	int hi, lo;

	out->p = NULL;
	out->n = 0;
	if (len % 2 != 0)
		return -1;
	if ((out->p = malloc(len / 2 + 1)) == NULL)
		return -1;
	for (i = 0; i < len / 2; i++) {
		hi = rs_hexval(s[2 * i]);
		lo = rs_hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			rs_bytes_free(out);
			return -1;
		}
		out->p[i] = (uint8_t)(hi << 4 | lo);
	}
	out->n = len / 2;
	return 0;
}

int
rs_hex_parse(const char *s, char sep, uint8_t *dst, size_t max, size_t *n)
{
	int hi, lo;

	for (*n = 0; *s != '\0'; (*n)++) {
		if (*n > 0 && sep != '\0' && *s++ != sep)
			return -1;
		if (*n == max || (hi = rs_hexval(s[0])) < 0 ||
		    (lo = rs_hexval(s[1])) < 0)
			return -1;
		dst[*n] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return 0;
}

json_t *
rs_base64_json(const void *p, size_t n)
{
	size_t size = (n + 2) / 3 * 4 + 1;
	json_t *v;
	char *buf;

	if ((buf = malloc(size)) == NULL)
		return NULL;
	if (b64_ntop(p, n, buf, size) < 0) {
		free(buf);
		return NULL;
	}
	v = json_string(buf);
	free(buf);
	return v;
}

void
rs_hex_format(const uint8_t *p, size_t n, char sep, char *dst)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0 && sep != '\0')
			*dst++ = sep;
		*dst++ = digits[p[i] >> 4];
		*dst++ = digits[p[i] & 0xf];
	}
	*dst = '\0';
}
