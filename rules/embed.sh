#!/bin/sh
# Writes a C file that holds a text file as a string: the shipped rules
# are compiled into the binary from rules/default.yaml, which stays the
# single source. Usage: embed.sh SYMBOL FILE > OUT.c
sym=$1
file=$2
printf '/* Generated from %s by rules/embed.sh. */\n#include <stddef.h>\n\n' "$file"
printf 'const char %s[] =\n' "$sym"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$file"
printf '\t"";\nconst size_t %s_len = sizeof(%s) - 1;\n' "$sym" "$sym"
