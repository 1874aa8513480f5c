/*
 * Where a line may break between words: ICU's word break iterator (its
 * dictionary segments Chinese, which has no spaces) combined with its line
 * break iterator (UAX #14, which keeps closing marks off a line's start and
 * opening marks off its end). The one place the library uses ICU.
 */
#ifndef LEXP_WORDBREAK_H
#define LEXP_WORDBREAK_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Boundaries in text cp[0..n): word[i] = 1 when a word (or a space, a
 * mark) starts at i, 0 < i < n; line[i] = 1 when a line may start at i
 * (between the characters of a word too, but not before a closing mark).
 * Either array may be NULL. Entry 0 is always 0. Returns 0, or LEXP_ENOMEM /
 * LEXP_EBACKEND (ICU's error name in the message). Thread-safe: the
 * iterators are opened and closed in the call. */
int lexp__word_breaks(const uint32_t *cp, size_t n, uint8_t *word, uint8_t *line,
                      lexp_error *err);

#endif
