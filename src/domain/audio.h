/*
 * Audio uploads: the content types callproof stores, a check that the first bytes agree with
 * the declared type (a recording is evidence: a "WAV" that is really something else is refused),
 * and the duration of a WAV file from its header.
 */
#ifndef CP_DOMAIN_AUDIO_H
#define CP_DOMAIN_AUDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of the file's start that the checks below need at most. */
#define CP_AUDIO_HEAD_BYTES 4096

/* The canonical type for a Content-Type header value ("audio/wav; codecs=1" -> "audio/wav",
 * "audio/x-wav" and "audio/wave" -> "audio/wav", "audio/mp3" -> "audio/mpeg"), or NULL if it is
 * not one of audio/wav, audio/mpeg, audio/ogg, audio/webm, audio/flac. */
const char *cp_audio_type(const char *content_type);
/* File name extension for a canonical type ("wav"). */
const char *cp_audio_ext(const char *type);
/* True if head[0..n) can start a file of the canonical type (magic numbers: RIFF....WAVE, ID3
 * or an MPEG frame sync, OggS, the EBML header of WebM, fLaC). n < 12 is never enough. */
bool cp_audio_sniff(const char *type, const uint8_t *head, size_t n);
/* Duration in whole seconds of a PCM WAV whose header lies within head[0..n), given the total
 * file size; -1 when the header cannot be read (not WAV, truncated, zero byte rate). */
int64_t cp_audio_wav_duration_s(const uint8_t *head, size_t n, int64_t file_size);

#endif
