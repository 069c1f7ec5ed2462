/*
 * Audio type checks and WAV header parsing (see audio.h). Pure functions over a byte buffer,
 * bounds-checked at every read, so they can be fuzzed directly.
 */
#include "domain/audio.h"

#include <string.h>
#include <strings.h>

static const struct {
    const char *name; /* as sent */
    const char *type; /* canonical */
} aliases[] = {
    {"audio/wav", "audio/wav"},      {"audio/x-wav", "audio/wav"}, {"audio/wave", "audio/wav"},
    {"audio/vnd.wave", "audio/wav"}, {"audio/mpeg", "audio/mpeg"}, {"audio/mp3", "audio/mpeg"},
    {"audio/ogg", "audio/ogg"},      {"audio/webm", "audio/webm"}, {"audio/flac", "audio/flac"},
    {"audio/x-flac", "audio/flac"},
};

const char *
cp_audio_type(const char *content_type)
{
    if (content_type == NULL)
        return NULL;
    size_t n = strcspn(content_type, "; \t");
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strlen(aliases[i].name) == n && strncasecmp(aliases[i].name, content_type, n) == 0)
            return aliases[i].type;
    return NULL;
}

const char *
cp_audio_ext(const char *type)
{
    if (strcmp(type, "audio/wav") == 0)
        return "wav";
    if (strcmp(type, "audio/mpeg") == 0)
        return "mp3";
    if (strcmp(type, "audio/ogg") == 0)
        return "ogg";
    if (strcmp(type, "audio/webm") == 0)
        return "webm";
    return "flac";
}

bool
cp_audio_sniff(const char *type, const uint8_t *h, size_t n)
{
    if (type == NULL || n < 12)
        return false;
    if (strcmp(type, "audio/wav") == 0)
        return memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WAVE", 4) == 0;
    if (strcmp(type, "audio/mpeg") == 0)
        /* An ID3v2 tag, or an MPEG audio frame: 11 sync bits, a valid version and layer. */
        return memcmp(h, "ID3", 3) == 0 || (h[0] == 0xff && (h[1] & 0xe0) == 0xe0 &&
                                            (h[1] & 0x18) != 0x08 && (h[1] & 0x06) != 0x00);
    if (strcmp(type, "audio/ogg") == 0)
        return memcmp(h, "OggS", 4) == 0;
    if (strcmp(type, "audio/webm") == 0)
        return h[0] == 0x1a && h[1] == 0x45 && h[2] == 0xdf && h[3] == 0xa3;
    if (strcmp(type, "audio/flac") == 0)
        return memcmp(h, "fLaC", 4) == 0;
    return false;
}

static uint32_t
le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int64_t
cp_audio_wav_duration_s(const uint8_t *h, size_t n, int64_t file_size)
{
    if (n < 12 || memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0)
        return -1;
    uint32_t byte_rate = 0;
    size_t off = 12;
    /* Walk the chunks: "fmt " gives the byte rate, "data" the audio size. */
    while (off + 8 <= n) {
        uint32_t size = le32(h + off + 4);
        if (memcmp(h + off, "fmt ", 4) == 0 && size >= 16 && off + 8 + 12 <= n) {
            byte_rate = le32(h + off + 8 + 8);
        } else if (memcmp(h + off, "data", 4) == 0) {
            if (byte_rate == 0)
                return -1;
            int64_t data = size;
            /* Streaming writers leave 0 or 0xffffffff; the file size is then the truth. */
            int64_t avail = file_size - (int64_t)(off + 8);
            if (data == 0 || data == 0xffffffff || data > avail)
                data = avail;
            return data < 0 ? -1 : data / byte_rate;
        }
        off += 8 + (size_t)size + (size & 1); /* size_t is 64-bit: cannot wrap */
    }
    return -1;
}
