/*
 * http_text.c: text from the remote side, made valid (see http_text.h).
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "http_text.h"

#define UTF8_REPLACEMENT "\xEF\xBF\xBD"	/* U+FFFD */

char *
atl_remote_text(const char *s, int len, int *out_len)
{
	int			enc = GetDatabaseEncoding();
	StringInfoData buf;

	if (pg_encoding_verifymbstr(enc, s, len) == len)
	{
		if (out_len)
			*out_len = len;
		return (char *) s;
	}
	initStringInfo(&buf);
	while (len > 0)
	{
		int			valid = pg_encoding_verifymbstr(enc, s, len);

		appendBinaryStringInfo(&buf, s, valid);
		s += valid;
		len -= valid;
		if (len == 0)
			break;
		/* a character cut short at the very end: what a fixed buffer left */
		if (s[0] != '\0' && pg_encoding_mblen(enc, s) > len)
			break;
		appendStringInfoString(&buf, enc == PG_UTF8 ? UTF8_REPLACEMENT : "?");
		s++;
		len--;
	}
	if (out_len)
		*out_len = buf.len;
	return buf.data;
}

/* how much of valid text fits in max_bytes, without cutting a character */
static int
clip_length(const char *valid, int len, int max_bytes)
{
	if (len <= max_bytes)
		return len;
	return pg_encoding_mbcliplen(GetDatabaseEncoding(), valid, len, max_bytes);
}

void
atl_remote_text_copy(char *dst, size_t size, const char *src)
{
	int			len;
	char	   *valid;

	if (size == 0)
		return;
	src = src ? src : "";
	valid = atl_remote_text(src, strlen(src), &len);
	len = clip_length(valid, len, (int) size - 1);
	memmove(dst, valid, len);
	dst[len] = '\0';
	if (valid != src)
		pfree(valid);
}

char *
atl_remote_text_clip(const char *s, int len, int max_bytes)
{
	int			valid_len;
	char	   *valid = atl_remote_text(s, len, &valid_len);

	return pnstrdup(valid, clip_length(valid, valid_len, max_bytes));
}
