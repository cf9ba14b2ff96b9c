/*
 * daemon.h - what a sensor started as root needs before it gives up its
 * privileges: the user and group looked up first (an unknown name is a
 * start-up error before anything is opened), the pid file written while
 * the process may still write where it is asked to, and a handle on the
 * pid file's directory so it can be removed at exit even when the
 * unprivileged user cannot reach that directory by its path.
 */
#ifndef MX_DAEMON_H
#define MX_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The ids to switch to; -1 each: keep. */
struct daemon_ids {
	uid_t uid;
	gid_t gid;
	bool change; /* a user or a group was given */
};

/*
 * Looks up user and group (either may be NULL). The group of user is
 * taken when no group is given. False with one line in err (without the
 * "mxsentry: " prefix) naming the unknown name.
 */
bool daemon_resolve_ids(const char *user, const char *group, struct daemon_ids *ids, char *err,
			size_t errlen);

/*
 * Switches to ids (supplementary groups cleared, group first, then user).
 * Does nothing when ids->change is false. False with a message in err.
 */
bool daemon_drop_privileges(const struct daemon_ids *ids, char *err, size_t errlen);

struct pidfile {
	int dirfd;	/* the pid file's directory, -1 when none was written */
	char name[256]; /* the pid file's name in that directory */
};

/*
 * Writes the process id to path and keeps its directory open in pf.
 * False with a message naming path in err.
 */
bool pidfile_write(struct pidfile *pf, const char *path, char *err, size_t errlen);

/* Removes the pid file written by pidfile_write (if any) and closes pf. */
void pidfile_remove(struct pidfile *pf);

#endif
