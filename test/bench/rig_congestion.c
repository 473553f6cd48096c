/*
 * rig_congestion.c: LD_PRELOAD into the rig's servers (the fake, nginx) so
 * that every socket they listen on uses the TCP congestion control named by
 * RIG_CONGESTION; the connections they accept inherit it.  A network
 * namespace may only default to the host's "allowed" algorithms, and some
 * kernels default to BBR, whose startup pacing spreads a 75 kB answer over
 * an extra half round trip: the rig pins Debian's default, cubic, so that
 * its figures do not depend on the host.  Built by test/bench/rig.sh.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int
listen(int fd, int backlog)
{
	static int	(*real_listen) (int, int);
	const char *name = getenv("RIG_CONGESTION");

	if (real_listen == NULL)
		real_listen = (int (*) (int, int)) dlsym(RTLD_NEXT, "listen");
	if (name != NULL && name[0] != '\0')
		(void) setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, strlen(name));
	return real_listen(fd, backlog);
}
