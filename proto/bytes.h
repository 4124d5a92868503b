/*
 * Byte strings on the wire: base64 ("data") or hex ("data_hex").
 */
#ifndef RS_BYTES_H
#define RS_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct rs_bytes {
	uint8_t	*p;	/* malloc'd, owned by the struct */
	size_t	 n;
};

void	 rs_bytes_free(struct rs_bytes *b);
/* Decode; -1 on malformed input (out is left empty). */
int	 rs_base64_decode(const char *s, size_t len, struct rs_bytes *out);
int	 rs_hex_decode(const char *s, size_t len, struct rs_bytes *out);
/* A hex digit's value, -1 for anything else. */
int	 rs_hexval(int c);
/* "aa:bb:cc" (sep ':') or "aabbcc" (sep '\0'): at most max bytes into dst,
 * their count in *n; "" is none.  -1 when malformed or too long. */
/* p[0..n) as hex pairs into dst (3n bytes with sep, else 2n + 1),
 * separated by sep unless it is '\0'. */
void	 rs_hex_format(const uint8_t *p, size_t n, char sep, char *dst);
int	 rs_hex_parse(const char *s, char sep, uint8_t *dst, size_t max,
	     size_t *n);
/* New JSON string holding base64 of p[0..n); NULL on allocation failure. */
json_t	*rs_base64_json(const void *p, size_t n);

#endif
