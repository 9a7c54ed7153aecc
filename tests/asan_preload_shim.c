/*
 * Preloaded after the ASan runtime into the sanitizer build's test servers
 * (tests/sanitized_server.sh). When ASan is preloaded into a program that is
 * not built with it (postgres), its runtime initializes at the first call
 * it intercepts. On this platform that is a malloc inside a library
 * constructor's bindtextdomain (libgpg-error's, which postgres loads through
 * libsystemd), made while glibc holds its gettext lock; ASan's
 * initialization calls dlerror, which takes the same lock again and leaves
 * it broken, and the next bindtextdomain (postgres's main) waits forever.
 * This bindtextdomain initializes ASan before taking the lock, then calls
 * glibc's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

void __asan_init(void);
char *bindtextdomain(const char *domain, const char *dir);

char *bindtextdomain(const char *domain, const char *dir)
{
	static char *(*next)(const char *, const char *);

	__asan_init();
	if (!next)
		next = (char *(*)(const char *, const char *)) dlsym(RTLD_NEXT, "bindtextdomain");
	return next(domain, dir);
}
