/*
 * daemon.c - user lookup, privilege drop and the pid file; see daemon.h.
 */
#include "run/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool daemon_resolve_ids(const char *user, const char *group, struct daemon_ids *ids, char *err,
			size_t errlen)
{
	ids->uid = (uid_t)-1;
	ids->gid = (gid_t)-1;
	ids->change = user != NULL || group != NULL;
	if (user != NULL) {
		struct passwd *pw;

		errno = 0;
		pw = getpwnam(user);
		if (pw == NULL) {
			snprintf(err, errlen, "-u: unknown user '%s'%s%s", user,
				 errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
			return false;
		}
		ids->uid = pw->pw_uid;
		ids->gid = pw->pw_gid;
	}
	if (group != NULL) {
		struct group *gr;

		errno = 0;
		gr = getgrnam(group);
		if (gr == NULL) {
			snprintf(err, errlen, "-g: unknown group '%s'%s%s", group,
				 errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
			return false;
		}
		ids->gid = gr->gr_gid;
	}
	return true;
}

bool daemon_drop_privileges(const struct daemon_ids *ids, char *err, size_t errlen)
{
	if (!ids->change)
		return true;
	if (ids->gid != (gid_t)-1 && (setgroups(0, NULL) != 0 || setgid(ids->gid) != 0)) {
		snprintf(err, errlen, "cannot change group: %s", strerror(errno));
		return false;
	}
	if (ids->uid != (uid_t)-1 && setuid(ids->uid) != 0) {
		snprintf(err, errlen, "cannot change user: %s", strerror(errno));
		return false;
	}
	return true;
}

bool pidfile_write(struct pidfile *pf, const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	char line[32];
	int fd, n;

	pf->dirfd = -1;
	pf->name[0] = '\0';
	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		slash = path - 1;
	} else if (slash == path) {
		snprintf(dir, sizeof(dir), "/");
	} else if ((size_t)(slash - path) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return false;
	} else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	if (snprintf(pf->name, sizeof(pf->name), "%s", slash + 1) >= (int)sizeof(pf->name) ||
	    pf->name[0] == '\0') {
		snprintf(err, errlen, "%s: not a file name", path);
		return false;
	}
	pf->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pf->dirfd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	fd = openat(pf->dirfd, pf->name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(pf->dirfd);
		pf->dirfd = -1;
		return false;
	}
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (write(fd, line, (size_t)n) != n || close(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlinkat(pf->dirfd, pf->name, 0);
		close(pf->dirfd);
		pf->dirfd = -1;
		return false;
	}
	return true;
}

void pidfile_remove(struct pidfile *pf)
{
	if (pf->dirfd < 0)
		return;
	unlinkat(pf->dirfd, pf->name, 0);
	close(pf->dirfd);
	pf->dirfd = -1;
}
