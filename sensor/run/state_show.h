/*
 * state_show.h - the `mxsentry state` subcommand (state_show.c).
 */
#ifndef MX_STATE_SHOW_H
#define MX_STATE_SHOW_H

/*
 * Runs `state show ...` (argv[0] is "state"); returns the exit status:
 * 0 shown, 1 query failure, 2 usage or a store that cannot be opened.
 */
int state_show_main(int argc, char **argv);

#endif
