/*
 * config_dump.h - the configuration written back as YAML (--dump-config):
 * every key of config.h with its effective value, in the layout the
 * loader reads, so that the text given to -c yields the same
 * configuration and the same text again.
 */
#ifndef MX_CONFIG_DUMP_H
#define MX_CONFIG_DUMP_H

#include <stdio.h>

#include "conf/config.h"

/*
 * Writes cfg to out as a YAML document config_load_file accepts. Keys
 * without a value (no interface, no pid file, ...) are written as
 * comments, so every key is shown; sizes are written in kb/mb/gb when
 * exact, else in bytes; strings are double-quoted.
 */
void config_dump(const struct mx_config *cfg, FILE *out);

#endif
