/* openloop: an open-loop HTTP/2 (h2c, prior knowledge) load generator for one core.
 *
 * Why not h2load --rps: on one core h2load sends ~33-36k 1 KB POSTs a second whatever the server
 * (bench/results/h2load-capacity-2026-12-07.txt), and `bidwire bench overload` wants 5x of a
 * ~17k/s maximum. This sends the same request (one HEADERS block encoded once, the body in DATA
 * frames, only the stream id patched) on a fixed schedule over N connections with one epoll loop,
 * and reads answers by frame header, decoding only the :status of each.
 *
 * Schedule: request i is due at t0 + i / rate; request i goes on connection i % N, in order.
 * Every tick (timerfd, --tick-us) each connection sends what is due, unless the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS (or --max-streams, if lower) or a full socket holds it back: a held request is sent when it
 * can, and its latency still counts from when it was due (the exchange's clock starts when it
 * wants to send). DATA respects the server's connection and stream windows (a body the windows
 * do not allow waits for WINDOW_UPDATE). Requests not sent when the schedule ends are "unsent";
 * answers are then awaited for --grace seconds; those still missing are "unanswered".
 *
 * We advertise SETTINGS_HEADER_TABLE_SIZE 0, so the server's HPACK encoder keeps no dynamic
 * table and a :status is always a static index (0x88 = 200, 0x89 = 204, ...) or a literal with
 * the static name :status (raw or Huffman-coded digits): nothing else needs decoding.
 *
 * Output: a JSON summary on stdout (counts, statuses, latency percentiles from the send and from
 * the schedule, late counts against --tmax-ms); --log FILE writes one row per answered request,
 * h2load's --log-file columns (send time in µs since the epoch, status, µs from send to the end
 * of the answer) and a fourth: µs the send was behind its schedule.
 *
 * Build: cc -O2 -o openloop openloop.c (Linux: epoll, timerfd). No dependencies.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum { F_DATA = 0, F_HEADERS = 1, F_RST = 3, F_SETTINGS = 4, F_PUSH = 5, F_PING = 6,
       F_GOAWAY = 7, F_WINDOW = 8, F_CONT = 9 };
enum { FL_END_STREAM = 1, FL_ACK = 1, FL_END_HEADERS = 4, FL_PADDED = 8, FL_PRIORITY = 0x20 };
#define OUR_WINDOW (1u << 30)        /* what we let the server send, per stream and connection */
#define OUT_CAP (4u << 20)           /* per-connection output buffer */
#define IN_CAP (1u << 20)            /* per-connection input buffer */
#define NOT_DONE UINT32_MAX
#define MAX_HEADERS 32

typedef struct {
    uint32_t k;         /* the connection's k-th request: stream 2k+1 */
    uint32_t offset;    /* body bytes already sent */
    int64_t window;     /* the stream's send window */
} blocked_t;

typedef struct {
    int fd;
    int index;
    int ready;          /* the server's first SETTINGS arrived */
    int goaway;         /* no new streams */
    int closed;
    uint32_t next_k;    /* requests sent on this connection so far */
    uint32_t active;    /* streams open */
    uint32_t max_streams;
    int64_t conn_window;
    int64_t stream_window; /* the server's SETTINGS_INITIAL_WINDOW_SIZE */
    uint64_t recv_consumed;
    unsigned char *out; size_t out_len, out_off;
    unsigned char *in; size_t in_len;
    int want_out;
    blocked_t *blocked; size_t n_blocked, cap_blocked;
} conn_t;

/* The request, pre-encoded. */
static unsigned char *tmpl;        /* HEADERS frame + DATA frames: the whole request */
static size_t tmpl_len, headers_len; /* headers_len: the HEADERS frame alone */
static unsigned char *body; static size_t body_len;
static size_t data_offsets[4096]; static size_t n_data; /* stream id offsets of DATA frames */

/* Per request. */
static uint32_t *send_us, *done_us; static int16_t *status_of;
static uint64_t total;             /* requests on the schedule */
static double rate;
static int n_conns;
static conn_t *conns;
static int64_t t0_ns;
static uint64_t tick_ns = 1000000;
/* A request sent later than this behind its schedule was held (not just waiting for the next
 * tick, or for the timer's own lateness): two ticks. */
static uint64_t slack_us = 2000;
/* Our own cap on streams in flight per connection (--max-streams), under the server's. */
static uint32_t stream_cap = UINT32_MAX;
static int epfd;

/* Counters. */
static uint64_t n_sent, n_answered, n_reset, n_refused, n_goaway_lost, n_goaways, n_bad_status;
static uint64_t n_held;
static uint32_t max_held_us;
static uint64_t n_conn_errors;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what) { perror(what); exit(2); }

static uint32_t rel_us(int64_t t) { return (uint32_t)((t - t0_ns) / 1000); }

static uint64_t sched_us(uint64_t i) { return (uint64_t)((double)i * 1e6 / rate); }

/* ---- HPACK encoding of the one request ---- */

static size_t hpack_int(unsigned char *p, unsigned prefix_bits, unsigned char first, uint64_t v) {
    uint64_t max = (1u << prefix_bits) - 1;
    size_t n = 0;
    if (v < max) { p[n++] = first | (unsigned char)v; return n; }
    p[n++] = first | (unsigned char)max;
    v -= max;
    while (v >= 128) { p[n++] = (unsigned char)(v % 128 + 128); v /= 128; }
    p[n++] = (unsigned char)v;
    return n;
}

static size_t hpack_str(unsigned char *p, const char *s, size_t len) {
    size_t n = hpack_int(p, 7, 0, len);
    memcpy(p + n, s, len);
    return n + len;
}

/* A literal field without indexing: a static name index, or a new name when index is 0. */
static size_t hpack_field(unsigned char *p, unsigned index, const char *name, const char *value) {
    size_t n = hpack_int(p, 4, 0, index);
    if (index == 0) n += hpack_str(p + n, name, strlen(name));
    return n + hpack_str(p + n, value, strlen(value));
}

static void put_frame_header(unsigned char *p, size_t len, int type, int flags, uint32_t sid) {
    p[0] = (unsigned char)(len >> 16); p[1] = (unsigned char)(len >> 8); p[2] = (unsigned char)len;
    p[3] = (unsigned char)type; p[4] = (unsigned char)flags;
    p[5] = (unsigned char)(sid >> 24); p[6] = (unsigned char)(sid >> 16);
    p[7] = (unsigned char)(sid >> 8); p[8] = (unsigned char)sid;
}

static void put_sid(unsigned char *p, uint32_t sid) {
    p[5] = (unsigned char)(sid >> 24); p[6] = (unsigned char)(sid >> 16);
    p[7] = (unsigned char)(sid >> 8); p[8] = (unsigned char)sid;
}

static void build_request(const char *authority, const char *path, const char *method,
                          char **headers, int n_headers) {
    unsigned char block[16384];
    size_t n = 0;
    char length[32];
    if (strcmp(method, "POST") == 0) block[n++] = 0x83;        /* :method POST */
    else if (strcmp(method, "GET") == 0) block[n++] = 0x82;    /* :method GET */
    else n += hpack_field(block + n, 2, NULL, method);
    block[n++] = 0x86;                                         /* :scheme http */
    n += hpack_field(block + n, 4, NULL, path);                /* :path */
    n += hpack_field(block + n, 1, NULL, authority);           /* :authority */
    for (int h = 0; h < n_headers; h++) {
        char name[256];
        const char *colon = strchr(headers[h], ':');
        if (colon == NULL || (size_t)(colon - headers[h]) >= sizeof name) {
            fprintf(stderr, "openloop: bad header %s\n", headers[h]);
            exit(2);
        }
        size_t nl = (size_t)(colon - headers[h]);
        for (size_t i = 0; i < nl; i++) {
            char c = headers[h][i];
            name[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        name[nl] = 0;
        const char *value = colon + 1;
        while (*value == ' ') value++;
        if (strlen(value) + nl + 16 > sizeof block - n) { fprintf(stderr, "openloop: headers too long\n"); exit(2); }
        n += hpack_field(block + n, 0, name, value);
    }
    if (body_len > 0) {
        snprintf(length, sizeof length, "%zu", body_len);
        n += hpack_field(block + n, 28, NULL, length);         /* content-length */
    }
    size_t n_frames = (body_len + 16383) / 16384;
    if (n_frames > sizeof data_offsets / sizeof data_offsets[0]) { fprintf(stderr, "openloop: body too large\n"); exit(2); }
    tmpl = malloc(9 + n + n_frames * 9 + body_len);
    put_frame_header(tmpl, n, F_HEADERS, FL_END_HEADERS | (body_len ? 0 : FL_END_STREAM), 1);
    memcpy(tmpl + 9, block, n);
    headers_len = tmpl_len = 9 + n;
    for (size_t off = 0; off < body_len; off += 16384) {
        size_t len = body_len - off < 16384 ? body_len - off : 16384;
        data_offsets[n_data++] = tmpl_len;
        put_frame_header(tmpl + tmpl_len, len, F_DATA, off + len == body_len ? FL_END_STREAM : 0, 1);
        memcpy(tmpl + tmpl_len + 9, body + off, len);
        tmpl_len += 9 + len;
    }
}

/* ---- output ---- */

static unsigned char *out_reserve(conn_t *c, size_t len) {
    if (c->out_off > 0 && c->out_len + len > OUT_CAP) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_len + len > OUT_CAP) return NULL;
    unsigned char *p = c->out + c->out_len;
    c->out_len += len;
    return p;
}

static size_t out_room(conn_t *c) { return OUT_CAP - (c->out_len - c->out_off); }

static void send_frame(conn_t *c, int type, int flags, uint32_t sid, const void *payload, size_t len) {
    unsigned char *p = out_reserve(c, 9 + len);
    if (p == NULL) return; /* a control frame that does not fit: the connection is hopeless */
    put_frame_header(p, len, type, flags, sid);
    if (len) memcpy(p + 9, payload, len);
}

static void send_window_update(conn_t *c, uint32_t sid, uint32_t inc) {
    unsigned char v[4] = { (unsigned char)(inc >> 24), (unsigned char)(inc >> 16),
                           (unsigned char)(inc >> 8), (unsigned char)inc };
    send_frame(c, F_WINDOW, 0, sid, v, 4);
}

static void close_conn(conn_t *c) {
    if (c->closed) return;
    c->closed = 1;
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
}

static void flush(conn_t *c) {
    while (c->out_off < c->out_len) {
        ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (w > 0) { c->out_off += (size_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) break;
        n_conn_errors++;
        close_conn(c);
        return;
    }
    if (c->out_off == c->out_len) c->out_off = c->out_len = 0;
    int want = c->out_off < c->out_len;
    if (want != c->want_out) {
        struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c };
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = want;
    }
}

/* ---- sending requests ---- */

static void send_body_part(conn_t *c, blocked_t *b) {
    /* As much of a blocked body as the windows allow, in frames of at most 16384. */
    while (b->offset < body_len) {
        int64_t allow = c->conn_window < b->window ? c->conn_window : b->window;
        size_t len = body_len - b->offset;
        if (len > 16384) len = 16384;
        if ((int64_t)len > allow) len = allow > 0 ? (size_t)allow : 0;
        if (len == 0 || out_room(c) < 9 + len) return;
        unsigned char *p = out_reserve(c, 9 + len);
        int last = b->offset + len == body_len;
        put_frame_header(p, len, F_DATA, last ? FL_END_STREAM : 0, 2 * b->k + 1);
        memcpy(p + 9, body + b->offset, len);
        b->offset += (uint32_t)len;
        b->window -= (int64_t)len;
        c->conn_window -= (int64_t)len;
    }
}

static void drain_blocked(conn_t *c) {
    size_t kept = 0;
    for (size_t i = 0; i < c->n_blocked; i++) {
        send_body_part(c, &c->blocked[i]);
        if (c->blocked[i].offset < body_len) c->blocked[kept++] = c->blocked[i];
    }
    c->n_blocked = kept;
}

static void forget_blocked(conn_t *c, uint32_t k) {
    for (size_t i = 0; i < c->n_blocked; i++)
        if (c->blocked[i].k == k) { c->blocked[i] = c->blocked[--c->n_blocked]; return; }
}

/* Send every request due on this connection by `due_total` (requests 0..due_total-1 are due)
 * that the server's limits and the socket allow. */
static void send_due(conn_t *c, uint64_t due_total, int64_t now) {
    if (c->closed || c->goaway || !c->ready) return;
    for (;;) {
        uint64_t i = (uint64_t)c->index + (uint64_t)n_conns * c->next_k;
        if (i >= due_total) return;
        if (c->active >= c->max_streams) return;
        int whole = c->n_blocked == 0 && (int64_t)body_len <= c->conn_window
                    && (int64_t)body_len <= c->stream_window;
        size_t need = whole ? tmpl_len : headers_len;
        if (out_room(c) < need) return;
        uint32_t sid = 2 * c->next_k + 1;
        unsigned char *p = out_reserve(c, need);
        memcpy(p, tmpl, need);
        put_sid(p, sid);
        if (whole) {
            for (size_t d = 0; d < n_data; d++) put_sid(p + data_offsets[d], sid);
            c->conn_window -= (int64_t)body_len;
        } else if (body_len > 0) {
            if (c->n_blocked == c->cap_blocked) {
                c->cap_blocked = c->cap_blocked ? 2 * c->cap_blocked : 64;
                c->blocked = realloc(c->blocked, c->cap_blocked * sizeof *c->blocked);
            }
            blocked_t *b = &c->blocked[c->n_blocked++];
            b->k = c->next_k; b->offset = 0; b->window = c->stream_window;
            send_body_part(c, b);
            if (b->offset == body_len) c->n_blocked--;
        }
        uint32_t t = rel_us(now);
        uint64_t due = sched_us(i);
        send_us[i] = t;
        if (t > due + slack_us) {
            n_held++;
            if (t - due > max_held_us) max_held_us = (uint32_t)(t - due);
        }
        c->next_k++;
        c->active++;
        n_sent++;
    }
}

/* ---- reading answers ---- */

/* A 3-digit status from Huffman-coded digits ('0'-'2': 5 bits 00000-00010, '3'-'9': 6 bits
 * 011001-011111; RFC 7541 Appendix B), or 0. */
static int huffman_status(const unsigned char *p, size_t len) {
    uint64_t bits = 0; int have = 0; size_t used = 0; int value = 0, digits = 0;
    while (digits < 3) {
        while (have < 6 && used < len) { bits = (bits << 8) | p[used++]; have += 8; }
        if (have < 5) return 0;
        unsigned five = (unsigned)(bits >> (have - 5)) & 31;
        if (five <= 2) { value = value * 10 + (int)five; have -= 5; digits++; continue; }
        if (have < 6) return 0;
        unsigned six = (unsigned)(bits >> (have - 6)) & 63;
        if (six < 25 || six > 31) return 0;
        value = value * 10 + (int)(six - 22); have -= 6; digits++;
    }
    return value;
}

static int read_int(const unsigned char *p, size_t len, unsigned prefix_bits, uint64_t *v) {
    uint64_t max = (1u << prefix_bits) - 1;
    if (len == 0) return -1;
    *v = p[0] & max;
    if (*v < max) return 1;
    size_t n = 1; unsigned shift = 0;
    while (n < len && n < 8) {
        *v += (uint64_t)(p[n] & 127) << shift; shift += 7;
        if (!(p[n++] & 128)) return (int)n;
    }
    return -1;
}

/* The :status of a header block (the first field, with no dynamic table), or 0. */
static int block_status(const unsigned char *p, size_t len) {
    static const int indexed[] = { 200, 204, 206, 304, 400, 404, 500 };
    uint64_t v;
    int n;
    while (len > 0 && (p[0] & 0xe0) == 0x20) { /* dynamic table size update */
        if ((n = read_int(p, len, 5, &v)) < 0) return 0;
        p += n; len -= (size_t)n;
    }
    if (len == 0) return 0;
    if (p[0] & 0x80) {
        if ((n = read_int(p, len, 7, &v)) < 0) return 0;
        return v >= 8 && v <= 14 ? indexed[v - 8] : 0;
    }
    n = read_int(p, len, (p[0] & 0xc0) == 0x40 ? 6 : 4, &v);
    if (n < 0 || v < 8 || v > 14) return 0;
    p += n; len -= (size_t)n;
    if (len == 0) return 0;
    int huffman = p[0] & 0x80;
    if ((n = read_int(p, len, 7, &v)) < 0 || (size_t)n + v > len) return 0;
    p += n;
    if (huffman) return huffman_status(p, v);
    if (v != 3) return 0;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

static uint64_t request_of(conn_t *c, uint32_t sid) {
    uint32_t k = (sid - 1) / 2;
    if (sid == 0 || !(sid & 1) || k >= c->next_k) return UINT64_MAX;
    return (uint64_t)c->index + (uint64_t)n_conns * k;
}

static void finish(conn_t *c, uint32_t sid, uint64_t i, int64_t now) {
    if (done_us[i] != NOT_DONE) return;
    done_us[i] = rel_us(now);
    if (done_us[i] == NOT_DONE) done_us[i]--;
    c->active--;
    forget_blocked(c, (sid - 1) / 2);
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void on_settings(conn_t *c, const unsigned char *p, size_t len) {
    for (size_t off = 0; off + 6 <= len; off += 6) {
        unsigned id = (unsigned)p[off] << 8 | p[off + 1];
        uint32_t v = be32(p + off + 2);
        if (id == 3) c->max_streams = v < stream_cap ? v : stream_cap;
        else if (id == 4) {
            int64_t delta = (int64_t)v - c->stream_window;
            c->stream_window = v;
            for (size_t b = 0; b < c->n_blocked; b++) c->blocked[b].window += delta;
        }
    }
    send_frame(c, F_SETTINGS, FL_ACK, 0, NULL, 0);
    c->ready = 1;
}

static void on_frame(conn_t *c, int type, int flags, uint32_t sid, const unsigned char *p,
                     size_t len, int64_t now) {
    uint64_t i;
    switch (type) {
    case F_DATA:
        c->recv_consumed += len;
        if (c->recv_consumed >= OUR_WINDOW / 2) {
            send_window_update(c, 0, (uint32_t)c->recv_consumed);
            c->recv_consumed = 0;
        }
        if ((flags & FL_END_STREAM) && (i = request_of(c, sid)) != UINT64_MAX) {
            if (status_of[i] == 0) n_bad_status++;
            finish(c, sid, i, now);
            n_answered++;
        }
        break;
    case F_HEADERS: {
        if ((i = request_of(c, sid)) == UINT64_MAX) break;
        size_t off = 0, pad = 0;
        if (flags & FL_PADDED) { if (len < 1) break; pad = p[0]; off = 1; }
        if (flags & FL_PRIORITY) off += 5;
        if (off + pad > len) break;
        if (status_of[i] == 0) {
            int s = block_status(p + off, len - off - pad);
            if (s >= 100 && s < 200) break; /* informational: the answer is still to come */
            status_of[i] = (int16_t)s;
        }
        if (flags & FL_END_STREAM) {
            if (status_of[i] == 0) n_bad_status++;
            finish(c, sid, i, now);
            n_answered++;
        }
        break;
    }
    case F_RST:
        if (len >= 4 && (i = request_of(c, sid)) != UINT64_MAX && done_us[i] == NOT_DONE) {
            uint32_t code = be32(p);
            status_of[i] = (int16_t)(-1 - (int)(code > 1000 ? 1000 : code));
            finish(c, sid, i, now);
            n_reset++;
            if (code == 7) n_refused++;
        }
        break;
    case F_SETTINGS:
        if (!(flags & FL_ACK)) on_settings(c, p, len);
        break;
    case F_PING:
        if (!(flags & FL_ACK) && len == 8) send_frame(c, F_PING, FL_ACK, 0, p, 8);
        break;
    case F_GOAWAY:
        if (len >= 8) {
            uint32_t last = be32(p) & 0x7fffffff;
            n_goaways++;
            c->goaway = 1;
            /* Streams above last were never processed: they end here, unanswered. */
            for (uint32_t k = (last + 1) / 2; k < c->next_k; k++) {
                i = (uint64_t)c->index + (uint64_t)n_conns * k;
                if (done_us[i] == NOT_DONE) {
                    status_of[i] = -1 - 1000;
                    finish(c, 2 * k + 1, i, now);
                    n_goaway_lost++;
                }
            }
        }
        break;
    case F_WINDOW:
        if (len >= 4) {
            uint32_t inc = be32(p) & 0x7fffffff;
            if (sid == 0) c->conn_window += inc;
            else for (size_t b = 0; b < c->n_blocked; b++)
                if (2 * c->blocked[b].k + 1 == sid) { c->blocked[b].window += inc; break; }
            drain_blocked(c);
        }
        break;
    default: /* PRIORITY, CONTINUATION (the status is in HEADERS), unknown */
        break;
    }
}

static void on_readable(conn_t *c, int64_t now) {
    for (;;) {
        if (c->in_len == IN_CAP) { n_conn_errors++; close_conn(c); return; }
        ssize_t r = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) break;
        if (r <= 0) { if (r < 0 || !c->goaway) n_conn_errors++; close_conn(c); return; }
        c->in_len += (size_t)r;
        size_t off = 0;
        while (c->in_len - off >= 9) {
            const unsigned char *h = c->in + off;
            size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
            if (len > IN_CAP - 9) { n_conn_errors++; close_conn(c); return; }
            if (c->in_len - off < 9 + len) break;
            on_frame(c, h[3], h[4], be32(h + 5) & 0x7fffffff, h + 9, len, now);
            off += 9 + len;
        }
        if (off) { memmove(c->in, c->in + off, c->in_len - off); c->in_len -= off; }
        if ((size_t)r < IN_CAP / 4) break; /* likely drained: saves a read() returning EAGAIN */
    }
}

/* ---- summary ---- */

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double pct_ms(const uint32_t *v, size_t n, double q) {
    if (n == 0) return 0.0;
    size_t rank = (size_t)(q * (double)n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return v[rank - 1] / 1000.0;
}

static void print_percentiles(const char *name, uint32_t *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_u32);
    printf("  \"%s\": {\"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"p999_ms\": %.3f, "
           "\"max_ms\": %.3f},\n", name, pct_ms(v, n, 0.5), pct_ms(v, n, 0.9), pct_ms(v, n, 0.99),
           pct_ms(v, n, 0.999), n ? v[n - 1] / 1000.0 : 0.0);
}

static void usage(void) {
    fprintf(stderr,
        "usage: openloop --rate R --duration S [--connections N] [--tmax-ms T] [--grace S]\n"
        "                [--body FILE] [-H 'name: value']... [--tick-us U] [--log FILE]\n"
        "                [--max-streams M] URL\n"
        "  URL: http://host:port/path (h2c with prior knowledge)\n");
    exit(2);
}

int main(int argc, char **argv) {
    double duration = 0, tmax_ms = 50, grace = 2.0;
    const char *body_path = NULL, *log_path = NULL, *method = NULL;
    char *headers[MAX_HEADERS]; int n_headers = 0;
    n_conns = 8;
    static struct option opts[] = {
        {"rate", 1, 0, 'r'}, {"duration", 1, 0, 'D'}, {"connections", 1, 0, 'c'},
        {"tmax-ms", 1, 0, 'T'}, {"grace", 1, 0, 'g'}, {"body", 1, 0, 'd'},
        {"header", 1, 0, 'H'}, {"tick-us", 1, 0, 't'}, {"log", 1, 0, 'l'},
        {"method", 1, 0, 'm'}, {"max-streams", 1, 0, 's'}, {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "r:D:c:T:g:d:H:t:l:m:s:", opts, NULL)) != -1) {
        switch (o) {
        case 'r': rate = atof(optarg); break;
        case 'D': duration = atof(optarg); break;
        case 'c': n_conns = atoi(optarg); break;
        case 'T': tmax_ms = atof(optarg); break;
        case 'g': grace = atof(optarg); break;
        case 'd': body_path = optarg; break;
        case 'H': if (n_headers == MAX_HEADERS) usage(); headers[n_headers++] = optarg; break;
        case 't': tick_ns = (uint64_t)(atof(optarg) * 1000); break;
        case 'l': log_path = optarg; break;
        case 'm': method = optarg; break;
        case 's': stream_cap = (uint32_t)strtoul(optarg, NULL, 10); break;
        default: usage();
        }
    }
    slack_us = 2 * tick_ns / 1000;
    if (optind != argc - 1 || rate <= 0 || duration <= 0 || n_conns < 1 || tick_ns < 10000) usage();
    if (duration * 1e6 + grace * 1e6 > 4e9) { fprintf(stderr, "openloop: run too long\n"); exit(2); }
    const char *url = argv[optind];
    if (strncmp(url, "http://", 7) != 0) usage();
    char host[256], authority[300]; const char *path;
    const char *hp = url + 7, *slash = strchr(hp, '/');
    size_t alen = slash ? (size_t)(slash - hp) : strlen(hp);
    if (alen >= sizeof host) usage();
    memcpy(authority, hp, alen); authority[alen] = 0;
    path = slash ? slash : "/";
    char *colon = strrchr(authority, ':');
    const char *port = colon ? colon + 1 : "80";
    memcpy(host, authority, colon ? (size_t)(colon - authority) : alen);
    host[colon ? (size_t)(colon - authority) : alen] = 0;

    if (body_path) {
        FILE *f = fopen(body_path, "rb");
        if (!f) die(body_path);
        fseek(f, 0, SEEK_END); long size = ftell(f); fseek(f, 0, SEEK_SET);
        body = malloc(size > 0 ? (size_t)size : 1);
        body_len = fread(body, 1, (size_t)size, f);
        fclose(f);
    }
    build_request(authority, path, method ? method : (body_path ? "POST" : "GET"), headers, n_headers);

    total = (uint64_t)(rate * duration);
    send_us = calloc(total + 1, sizeof *send_us);
    done_us = malloc((total + 1) * sizeof *done_us);
    status_of = calloc(total + 1, sizeof *status_of);
    if (!send_us || !done_us || !status_of) die("malloc");
    for (uint64_t i = 0; i <= total; i++) done_us[i] = NOT_DONE;

    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai) { fprintf(stderr, "openloop: %s: %s\n", host, gai_strerror(gai)); exit(2); }
    epfd = epoll_create1(0);
    conns = calloc((size_t)n_conns, sizeof *conns);
    static const unsigned char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    for (int k = 0; k < n_conns; k++) {
        conn_t *c = &conns[k];
        c->index = k; c->max_streams = stream_cap; c->conn_window = 65535; c->stream_window = 65535;
        c->out = malloc(OUT_CAP); c->in = malloc(IN_CAP);
        c->fd = socket(ai->ai_family, SOCK_STREAM, 0);
        if (c->fd < 0) die("socket");
        if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            fprintf(stderr, "openloop: connect %s: %s\n", authority, strerror(errno));
            exit(2);
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        memcpy(out_reserve(c, 24), preface, 24);
        /* HEADER_TABLE_SIZE 0 (see the top), ENABLE_PUSH 0, INITIAL_WINDOW_SIZE large. */
        unsigned char s[18] = { 0, 1, 0, 0, 0, 0,  0, 2, 0, 0, 0, 0,  0, 4,
            (unsigned char)(OUR_WINDOW >> 24), (unsigned char)(OUR_WINDOW >> 16),
            (unsigned char)(OUR_WINDOW >> 8), (unsigned char)OUR_WINDOW };
        send_frame(c, F_SETTINGS, 0, 0, s, sizeof s);
        send_window_update(c, 0, OUR_WINDOW - 65535);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
        flush(c);
    }
    freeaddrinfo(ai);

    struct epoll_event events[256];
    /* Wait for every server's SETTINGS (its stream limit) before the clock starts. */
    int64_t give_up = now_ns() + 10 * (int64_t)1000000000;
    for (;;) {
        int ready = 0, open = 0;
        for (int k = 0; k < n_conns; k++) { ready += conns[k].ready; open += !conns[k].closed; }
        if (ready == open && ready > 0) break;
        if (open == 0 || now_ns() > give_up) { fprintf(stderr, "openloop: no HTTP/2 SETTINGS from %s\n", authority); exit(1); }
        int n = epoll_wait(epfd, events, 256, 100);
        for (int e = 0; e < n; e++) {
            conn_t *c = events[e].data.ptr;
            if (events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c, now_ns());
            if (!c->closed) flush(c);
        }
    }

    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct itimerspec its = { .it_interval = { 0, (long)tick_ns }, .it_value = { 0, (long)tick_ns } };
    timerfd_settime(tfd, 0, &its, NULL);
    struct epoll_event tev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &tev);

    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    t0_ns = now_ns();
    int64_t end_ns = t0_ns + (int64_t)(duration * 1e9), stop_ns = end_ns + (int64_t)(grace * 1e9);
    int64_t last_send_ns = t0_ns;
    int sending = 1;
    for (;;) {
        int64_t now = now_ns();
        if (sending) {
            /* Past the end, one last pass sends everything due by then that can go: a request
             * due between the last tick and the end is held a moment, not unsent. */
            sending = now < end_ns;
            uint64_t due = sending ? (uint64_t)((double)(now - t0_ns) * 1e-9 * rate) + 1 : total;
            if (due > total) due = total;
            for (int k = 0; k < n_conns; k++) send_due(&conns[k], due, now);
            last_send_ns = now;
        } else if (n_answered + n_reset + n_goaway_lost >= n_sent || now >= stop_ns) {
            break;
        }
        for (int k = 0; k < n_conns; k++)
            if (!conns[k].closed && conns[k].out_len > conns[k].out_off && !conns[k].want_out) flush(&conns[k]);
        int n = epoll_wait(epfd, events, 256, 100);
        now = now_ns();
        for (int e = 0; e < n; e++) {
            conn_t *c = events[e].data.ptr;
            if (c == NULL) { uint64_t ticks; ssize_t r = read(tfd, &ticks, sizeof ticks); (void)r; continue; }
            if (c->closed) continue;
            if (events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c, now);
            if (!c->closed && (events[e].events & EPOLLOUT)) flush(c);
        }
    }
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec)
               + (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) * 1e-6;
    double elapsed = (double)(now_ns() - t0_ns) * 1e-9;
    double send_span = (double)(last_send_ns - t0_ns) * 1e-9;

    /* Latency from the send and from the schedule; statuses; late counts. */
    uint32_t *from_send = malloc((n_answered + 1) * sizeof *from_send);
    uint32_t *from_sched = malloc((n_answered + 1) * sizeof *from_sched);
    size_t n_lat = 0;
    uint64_t late = 0, late_sched = 0, late_with_held = 0, on_time_bids = 0, on_time_bids_sched = 0;
    uint64_t unanswered = 0, counts[1000] = { 0 }, first_send = UINT32_MAX, last_send = 0;
    uint64_t limit = (uint64_t)(tmax_ms * 1000), tick_us = tick_ns / 1000;
    uint64_t answered_200 = 0;
    FILE *log = NULL;
    struct timespec real, mono;
    clock_gettime(CLOCK_REALTIME, &real); clock_gettime(CLOCK_MONOTONIC, &mono);
    int64_t epoch_t0_us = ((int64_t)real.tv_sec * 1000000000 + real.tv_nsec - (now_ns() - t0_ns)) / 1000;
    (void)mono;
    if (log_path) { log = fopen(log_path, "w"); if (!log) die(log_path); }
    for (uint64_t i = 0; i < total; i++) {
        conn_t *c = &conns[i % (uint64_t)n_conns];
        if (i / (uint64_t)n_conns >= c->next_k) continue; /* never sent */
        if (send_us[i] < first_send) first_send = send_us[i];
        if (send_us[i] > last_send) last_send = send_us[i];
        if (done_us[i] == NOT_DONE) { unanswered++; late++; late_sched++; late_with_held++; continue; }
        if (status_of[i] < 0) continue; /* reset or lost to GOAWAY */
        uint64_t sched = sched_us(i);
        uint64_t lat = done_us[i] - send_us[i];
        uint64_t behind = send_us[i] > sched ? send_us[i] - sched : 0;
        uint64_t held = behind > slack_us ? behind - slack_us : 0;
        from_send[n_lat] = (uint32_t)lat;
        from_sched[n_lat++] = (uint32_t)(lat + behind);
        int s = status_of[i];
        counts[s < 1000 ? s : 0]++;
        if (s == 200) answered_200++;
        if (lat > limit) late++;
        else if (s == 200) on_time_bids++;
        if (lat + behind > limit) late_sched++;
        else if (s == 200) on_time_bids_sched++;
        if (lat + held > limit) late_with_held++;
        if (log) fprintf(log, "%lld\t%d\t%llu\t%llu\n", (long long)(epoch_t0_us + send_us[i]), s,
                         (unsigned long long)lat, (unsigned long long)behind);
    }
    if (log) fclose(log);
    printf("{\n  \"rate\": %.3f, \"duration_s\": %.3f, \"connections\": %d, \"tick_us\": %llu, "
           "\"tmax_ms\": %.3f,\n", rate, duration, n_conns, (unsigned long long)tick_us, tmax_ms);
    printf("  \"scheduled\": %llu, \"sent\": %llu, \"unsent\": %llu, \"answered\": %llu, "
           "\"reset\": %llu, \"refused\": %llu, \"goaway_lost\": %llu, \"unanswered\": %llu,\n",
           (unsigned long long)total, (unsigned long long)n_sent, (unsigned long long)(total - n_sent),
           (unsigned long long)n_answered, (unsigned long long)n_reset, (unsigned long long)n_refused,
           (unsigned long long)n_goaway_lost, (unsigned long long)unanswered);
    printf("  \"goaways\": %llu, \"connection_errors\": %llu, \"unparsed_status\": %llu,\n",
           (unsigned long long)n_goaways, (unsigned long long)n_conn_errors, (unsigned long long)n_bad_status);
    printf("  \"held\": %llu, \"max_held_ms\": %.3f, \"held_slack_ms\": %.3f,\n",
           (unsigned long long)n_held, max_held_us / 1000.0, slack_us / 1000.0);
    printf("  \"late\": %llu, \"late_from_schedule\": %llu, \"late_with_held\": %llu,\n",
           (unsigned long long)late, (unsigned long long)late_sched, (unsigned long long)late_with_held);
    printf("  \"on_time_bids\": %llu, \"on_time_bids_from_schedule\": %llu,\n",
           (unsigned long long)on_time_bids, (unsigned long long)on_time_bids_sched);
    printf("  \"statuses\": {");
    int first = 1;
    for (int s = 0; s < 1000; s++)
        if (counts[s]) { printf("%s\"%d\": %llu", first ? "" : ", ", s, (unsigned long long)counts[s]); first = 0; }
    printf("},\n");
    print_percentiles("latency_from_send", from_send, n_lat);
    print_percentiles("latency_from_schedule", from_sched, n_lat);
    double span = last_send > first_send && first_send != UINT32_MAX ? (last_send - first_send) * 1e-6 : 0;
    printf("  \"sent_rps\": %.1f, \"answered_rps\": %.1f, \"send_span_s\": %.3f, \"elapsed_s\": %.3f, "
           "\"cpu_s\": %.3f\n}\n", span > 0 ? (double)(n_sent - 1) / span : 0.0,
           (double)n_answered / (send_span > 0 ? send_span : 1), send_span, elapsed, cpu);
    (void)answered_200;
    return 0;
}
