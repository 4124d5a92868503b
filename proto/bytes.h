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
/* New JSON string holding base64 of p[0..n); NULL on allocation failure. */
json_t	*rs_base64_json(const void *p, size_t n);

#endif
