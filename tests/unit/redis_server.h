/*
 * redis_server.h - for unit tests that talk to Redis: a private
 * redis-server on a unix socket in a temporary directory (no TCP port, no
 * persistence), started and stopped by its PID. Tests skip when
 * redis-server is not installed.
 */
#ifndef MX_TEST_REDIS_SERVER_H
#define MX_TEST_REDIS_SERVER_H

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct redis_server {
	char dir[64];
	char sock[96];
	pid_t pid;
};

/* Does something accept connections on the unix socket path? */
static inline bool redis_server_listening(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/*
 * Starts (or, after redis_server_kill, restarts) the server and waits (up
 * to 10 s, for a loaded machine) until it accepts connections; false when
 * it cannot run.
 */
static inline bool redis_server_run(struct redis_server *s)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	unlink(s->sock);
	s->pid = fork();
	if (s->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", s->sock,
		       "--dir", s->dir, "--save", "", "--appendonly", "no", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && s->pid > 0; i++) {
		int status;

		if (redis_server_listening(s->sock))
			return true;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			return false;
		}
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Kills the server (SIGKILL) and waits for it. */
static inline void redis_server_kill(struct redis_server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = -1;
}

static inline bool redis_server_start(struct redis_server *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/mxsentry-redis-unit.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return false;
	snprintf(s->sock, sizeof(s->sock), "%s/redis.sock", s->dir);
	if (!redis_server_run(s)) {
		redis_server_kill(s);
		rmdir(s->dir);
		return false;
	}
	return true;
}

static inline void redis_server_stop(struct redis_server *s)
{
	redis_server_kill(s);
	unlink(s->sock);
	rmdir(s->dir);
}

#endif
