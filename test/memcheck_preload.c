/*
 * Preloaded into the server after gcc's libasan by test/memcheck.sh, so that
 * Debian's (uninstrumented) postgres can start under AddressSanitizer.
 *
 * Preloaded rather than linked in, libasan initialises on the first call it
 * intercepts.  In Debian 12's postgres that is a malloc() inside
 * libgpg-error's constructor, made while glibc holds its gettext lock for
 * bindtextdomain().  ASan's initialisation looks up swift_demangle with
 * dlsym(); the failed lookup's dlerror() translates its message through
 * gettext, which takes the same lock again: the lock's state is corrupted
 * and the server hangs in its own bindtextdomain() (postgres -V never
 * returns).  Defining the symbol makes the lookup succeed.  ASan only calls
 * it for a Swift-mangled name, and NULL means "not a Swift name".
 */
#include <stddef.h>

extern char *swift_demangle(const char *mangled, size_t mangled_len,
							char *out, size_t *out_len, unsigned flags);

char *
swift_demangle(const char *mangled, size_t mangled_len, char *out,
			   size_t *out_len, unsigned flags)
{
	return NULL;
}
