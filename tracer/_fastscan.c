/*
 * tracer._fastscan -- the canonical BSD-syslog Postfix delivery line, parsed in C.
 *
 *   Mmm dd hh:mm:ss[.frac] HOST PROGRAM[PID]: [QID: ]to=<RCPT>[, orig_to=<ORIG>], relay=RELAY
 *   [, conn_use=N], delay=D[, delays=X][, tls=T][, dsn=N.N.N], status=S[ (TEXT)]
 *
 * scan(buf, first_line) splits a block of lines at "\n" (a trailing "\r" is dropped),
 * parses every line of exactly that shape into Arrow-ready column buffers and lists
 * every other line as "rest" for the Python path. Each accepted line yields the
 * fields of tracer.parse._FAST + DELIVERY + _delivery_text; the shape is a strict
 * subset of what _FAST accepts (no <PRI>, brackets around addresses required, no
 * quoted localpart, ASCII 0x20-0x7e only, pid of at most 18 digits).
 * Lines of the next commonest shapes (qmgr, cleanup, smtpd, bounce: other_line, tracer.fastscan.KINDS)
 * stay in rest with a kind and the spans of their fields. Rows carry 63-bit keys (line_key) for dedup.
 * See tracer/fastscan.py for the return value. The GIL is released while parsing.
 *
 * Also: count_newlines(buf, start, end), the newlines of any buffer (an mmap'd log) without a copy.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __GLIBC__
#include <malloc.h>
#endif

#ifdef __GNUC__
#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")    /* per-column loops: NULLABLE[i] becomes a constant */
#else
#define INLINE static inline
#define UNROLL
#endif

enum {
    F_TS, F_HOST, F_PROGRAM, F_DAEMON, F_QID, F_RCPT, F_ORIG, F_RELAY,
    F_DELAY, F_DELAYS, F_DSN, F_STATUS, F_TEXT, F_QAS, NFIELDS
};
static const char *const FIELD_NAMES[NFIELDS] = {
    "ts_text", "syslog_host", "program", "daemon", "queue_id", "recipient", "orig_to", "relay",
    "delay", "delays", "dsn", "status", "text", "queued_as"};
#define LAYOUT 8     /* bumped whenever scan's return value or its keys change (tracer/fastscan.py checks it) */
static const int NULLABLE[NFIELDS] = {0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1};

/* ---- character classes ---------------------------------------------------------------- */

enum { C_DIGIT = 1, C_HEX = 2, C_B52 = 4, C_DELAY = 8, C_DELAYS = 16, C_STATUS = 32, C_QSTOP = 64 };
static unsigned char cls[256];

static void init_classes(void)
{
    for (int c = '0'; c <= '9'; c++)
        cls[c] |= C_DIGIT | C_HEX | C_B52 | C_DELAY | C_DELAYS;
    for (int c = 'A'; c <= 'F'; c++)
        cls[c] |= C_HEX;
    for (int c = 'A'; c <= 'Z'; c++) {
        cls[c] |= C_STATUS;
        cls[c + 32] |= C_STATUS;
        if (!strchr("AEIOU", c)) {          /* [B-DF-HJ-NP-TV-Z] and lower case */
            cls[c] |= C_B52;
            cls[c + 32] |= C_B52;
        }
    }
    cls['.'] |= C_DELAY | C_DELAYS;
    cls['/'] |= C_DELAYS;
    cls['-'] |= C_STATUS;
    /* [^\s;,)] ends a "queued as X" value */
    for (const char *q = " \t\n\r\f\v;,)"; *q; q++)
        cls[(unsigned char)*q] |= C_QSTOP;
    for (int c = 0x1c; c <= 0x1f; c++)       /* str.isspace() in Python; such lines are rejected anyway */
        cls[c] |= C_QSTOP;
}

#define IS(c, k) (cls[(unsigned char)(c)] & (k))

/* The end of the line starting at pos (its "\n", or size) and, in *clean, whether the line holds
 * only bytes 0x20..0x7e apart from a final "\r": one pass finds both, 16 bytes at a time. */
INLINE Py_ssize_t line_end(const unsigned char *buf, Py_ssize_t pos, Py_ssize_t size, int *clean)
{
    Py_ssize_t i = pos;
#ifdef __SSE2__
    const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
    for (; i + 16 <= size; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(buf + i));
        /* signed compare: bytes >= 0x80 are negative, so below 0x20 too */
        int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del)));
        if (mask) {
            i += __builtin_ctz(mask);
            goto stop;
        }
    }
#endif
    for (; i < size; i++)
        if (buf[i] < 0x20 || buf[i] >= 0x7f)
            goto stop;
    *clean = 1;
    return size;
stop:
    if (buf[i] == '\n' || (buf[i] == '\r' && (i + 1 == size || buf[i + 1] == '\n'))) {
        *clean = 1;
        return buf[i] == '\n' ? i : i + 1;
    }
    *clean = 0;
    const unsigned char *nl = memchr(buf + i, '\n', size - i);
    return nl ? nl - buf : size;
}

static int is_month(const unsigned char *s)
{
    switch (s[0]) {
    case 'J': return (s[1] == 'a' && s[2] == 'n') || (s[1] == 'u' && (s[2] == 'n' || s[2] == 'l'));
    case 'F': return s[1] == 'e' && s[2] == 'b';
    case 'M': return s[1] == 'a' && (s[2] == 'r' || s[2] == 'y');
    case 'A': return (s[1] == 'p' && s[2] == 'r') || (s[1] == 'u' && s[2] == 'g');
    case 'S': return s[1] == 'e' && s[2] == 'p';
    case 'O': return s[1] == 'c' && s[2] == 't';
    case 'N': return s[1] == 'o' && s[2] == 'v';
    case 'D': return s[1] == 'e' && s[2] == 'c';
    }
    return 0;
}

/* ---- one line ---------------------------------------------------------------------------- */

typedef struct { Py_ssize_t off, len; } Field;    /* len < 0: null */

/* s[p:p+m] == lit (m <= 16), as two overlapping word compares: a byte loop or memcmp call is slower */
INLINE int lit_at(const unsigned char *s, Py_ssize_t n, Py_ssize_t p, const char *lit, Py_ssize_t m)
{
    if (n - p < m)
        return 0;
    s += p;
    if (m >= 8) {
        uint64_t a, b, c, d;
        memcpy(&a, s, 8);
        memcpy(&b, lit, 8);
        memcpy(&c, s + m - 8, 8);
        memcpy(&d, lit + m - 8, 8);
        return a == b && c == d;
    }
    if (m >= 4) {
        uint32_t a, b, c, d;
        memcpy(&a, s, 4);
        memcpy(&b, lit, 4);
        memcpy(&c, s + m - 4, 4);
        memcpy(&d, lit + m - 4, 4);
        return a == b && c == d;
    }
    for (Py_ssize_t i = 0; i < m; i++)
        if (s[i] != (unsigned char)lit[i])
            return 0;
    return 1;
}

/* the first position from p of byte a or b, or n */
INLINE Py_ssize_t find2(const unsigned char *s, Py_ssize_t p, Py_ssize_t n, unsigned char a, unsigned char b)
{
#ifdef __SSE2__
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);
    for (; p + 16 <= n; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + p));
        int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
        if (mask)
            return p + __builtin_ctz(mask);
    }
#endif
    for (; p < n; p++)
        if (s[p] == a || s[p] == b)
            return p;
    return n;
}

#define LIT(lit) lit_at(s, n, p, lit, sizeof(lit) - 1)

static int is_delivery_daemon(const unsigned char *s, Py_ssize_t n)
{
#define EQ(lit) (n == (Py_ssize_t)sizeof(lit) - 1 && lit_at(s, n, 0, lit, n))
    return EQ("smtp") || EQ("lmtp") || EQ("local") || EQ("virtual") || EQ("pipe") || EQ("error")
           || EQ("discard");
#undef EQ
}

/* first occurrence of pat in s[0:n), or -1 */
static Py_ssize_t find(const unsigned char *s, Py_ssize_t n, const char *pat, Py_ssize_t m)
{
    Py_ssize_t i = 0;
    while (i + m <= n) {
        i = find2(s, i, n - m + 1, (unsigned char)pat[0], (unsigned char)pat[0]);
        if (i > n - m)
            return -1;
        if (memcmp(s + i, pat, m) == 0)
            return i;
        i++;
    }
    return -1;
}

/* the last value re.findall(pat + r"([^\s;,)]+)", s) yields: matches do not overlap */
static int findall_last(const unsigned char *s, Py_ssize_t n, const char *pat, Py_ssize_t m,
                        Py_ssize_t *start, Py_ssize_t *len)
{
    int found = 0;
    Py_ssize_t pos = 0;
    for (;;) {
        Py_ssize_t i = find(s + pos, n - pos, pat, m);
        if (i < 0)
            return found;
        Py_ssize_t j = pos + i + m, k = j;
        while (k < n && !IS(s[k], C_QSTOP))
            k++;
        if (k > j) {
            *start = j;
            *len = k - j;
            found = 1;
            pos = k;
        }
        else
            pos += i + 1;
    }
}

/* <ADDR> with no "," inside and not a quoted localpart; p is at "<"; returns the position after ">" or -1 */
INLINE Py_ssize_t bracketed(const unsigned char *s, Py_ssize_t n, Py_ssize_t p, Field *f)
{
    if (p >= n || s[p] != '<')
        return -1;
    Py_ssize_t r = find2(s, ++p, n, ',', '>');
    if (r >= n || s[r] != '>' || (r > p && s[p] == '"'))
        return -1;
    f->off = p;
    f->len = r - p;
    return r + 1;
}

/* a run of at least one byte of class k from p; returns its end or -1 */
INLINE Py_ssize_t run(const unsigned char *s, Py_ssize_t n, Py_ssize_t p, int k, Field *f)
{
    Py_ssize_t r = p;
    while (r < n && IS(s[r], k))
        r++;
    if (r == p)
        return -1;
    if (f) {
        f->off = p;
        f->len = r - p;
    }
    return r;
}

/* bytes up to the next ","; returns the position of that "," or -1 */
INLINE Py_ssize_t to_comma(const unsigned char *s, Py_ssize_t n, Py_ssize_t p, Field *f)
{
    Py_ssize_t c = find2(s, p, n, ',', ',');
    if (c >= n)
        return -1;
    if (f) {
        f->off = p;
        f->len = c - p;
    }
    return c;
}

/* 1-3 digits from p; returns the end or -1 */
INLINE Py_ssize_t digits13(const unsigned char *s, Py_ssize_t n, Py_ssize_t p)
{
    Py_ssize_t r = p;
    while (r < n && r - p < 3 && IS(s[r], C_DIGIT))
        r++;
    return r == p ? -1 : r;
}

/* The canonical envelope of a Postfix line: "Mmm dd hh:mm:ss[.frac] HOST PROGRAM[PID]: " with PROGRAM
 * postfix(-X)?(/C)* followed by /DAEMON. Fills the stamp, host, program and daemon fields and *pid; returns the
 * position of the message, or -1. s holds only bytes 0x20..0x7e (see line_end). */
static Py_ssize_t parse_envelope(const unsigned char *s, Py_ssize_t n, Field *f, int64_t *pid)
{
    Py_ssize_t p, r;
    /* 40 covers every fixed index of the stamp */
    if (n < 40)
        return -1;

    /* Mmm [ \d]?\d \d\d:\d\d:\d\d(\.\d{1,9})? */
    if (!is_month(s) || s[3] != ' ')
        return -1;
    if (s[4] == ' ')
        p = IS(s[5], C_DIGIT) ? 6 : -1;
    else if (IS(s[4], C_DIGIT))
        p = IS(s[5], C_DIGIT) ? 6 : 5;
    else
        p = -1;
    if (p < 0 || s[p] != ' ')
        return -1;
    p++;
    if (!(IS(s[p], C_DIGIT) && IS(s[p + 1], C_DIGIT) && s[p + 2] == ':' && IS(s[p + 3], C_DIGIT)
          && IS(s[p + 4], C_DIGIT) && s[p + 5] == ':' && IS(s[p + 6], C_DIGIT) && IS(s[p + 7], C_DIGIT)))
        return -1;
    p += 8;
    if (s[p] == '.') {
        r = ++p;
        while (IS(s[r], C_DIGIT) && r - p < 9)
            r++;
        if (r == p)
            return -1;
        p = r;
    }
    if (s[p] != ' ')
        return -1;
    f[F_TS].off = 0;
    f[F_TS].len = p++;

    /* HOST: \S+ */
    r = find2(s, p, n, ' ', ' ');
    if (r >= n || r == p)
        return -1;
    f[F_HOST].off = p;
    f[F_HOST].len = r - p;
    p = r + 1;

    /* PROGRAM: postfix(-X)?(/C)* then /DAEMON, with no space or "[" inside; then "[" */
    r = find2(s, p, n, '[', ' ');
    if (r >= n || s[r] != '[' || r - p < 8 || !LIT("postfix"))
        return -1;
    f[F_PROGRAM].off = p;
    f[F_PROGRAM].len = r - p;
    Py_ssize_t q = p + 7, c0;
    if (s[q] == '-') {
        c0 = ++q;
        while (q < r && s[q] != '/')
            q++;
        if (q == c0)
            return -1;
    }
    if (q >= r || s[q] != '/')
        return -1;
    do {                                    /* components: non-empty, the last one the daemon */
        c0 = ++q;
        while (q < r && s[q] != '/')
            q++;
        if (q == c0)
            return -1;
    } while (q < r);
    f[F_DAEMON].off = c0;
    f[F_DAEMON].len = r - c0;

    /* [PID]: */
    p = r + 1;
    uint64_t v = 0;                         /* unsigned: no overflow UB before the length check */
    for (r = p; r < n && IS(s[r], C_DIGIT); r++)
        v = v * 10 + (s[r] - '0');
    if (r == p || r - p > 18)
        return -1;
    *pid = (int64_t)v;
    p = r;
    if (!LIT("]: "))
        return -1;
    p += 3;
    return p;
}

/* Fill f and *pid and return 1 when s[0:n) has the canonical delivery shape; 0 otherwise. */
static int parse_line(const unsigned char *s, Py_ssize_t n, Field *f, int64_t *pid)
{
    UNROLL for (int i = 0; i < NFIELDS; i++)
        f[i] = (Field){0, -1};
    /* the shortest accepted line has 66 bytes */
    Py_ssize_t p = parse_envelope(s, n, f, pid), r;
    if (p < 0 || !is_delivery_daemon(s + f[F_DAEMON].off, f[F_DAEMON].len))
        return 0;

    /* [QID: ]to=<RCPT>[, orig_to=<ORIG>] */
    if (LIT("to="))
        p += 3;
    else {
        int all = C_HEX | C_B52;
        for (r = p; r < n && IS(s[r], C_HEX | C_B52); r++)
            all &= cls[s[r]];
        if (!(((all & C_HEX) && r - p >= 6) || ((all & C_B52) && r - p >= 10)))
            return 0;
        f[F_QID].off = p;
        f[F_QID].len = r - p;
        p = r;
        if (!LIT(": to="))
            return 0;
        p += 5;
    }
    if ((p = bracketed(s, n, p, &f[F_RCPT])) < 0)
        return 0;
    if (LIT(", orig_to=") && (p = bracketed(s, n, p + 10, &f[F_ORIG])) < 0)
        return 0;

    /* , relay=R[, conn_use=N], delay=D[, delays=X][, tls=T][, dsn=N.N.N], status=S */
    if (!LIT(", relay=") || (p = to_comma(s, n, p + 8, &f[F_RELAY])) < 0)
        return 0;
    if (LIT(", conn_use=") && (p = run(s, n, p + 11, C_DIGIT, NULL)) < 0)
        return 0;
    if (!LIT(", delay=") || (p = run(s, n, p + 8, C_DELAY, &f[F_DELAY])) < 0)
        return 0;
    if (LIT(", delays=") && (p = run(s, n, p + 9, C_DELAYS, &f[F_DELAYS])) < 0)
        return 0;
    if (LIT(", tls=") && (p = to_comma(s, n, p + 6, NULL)) < 0)
        return 0;
    if (LIT(", dsn=")) {
        Py_ssize_t d0 = p += 6;
        if (!(p + 1 < n && IS(s[p], C_DIGIT) && s[p + 1] == '.') || (p = digits13(s, n, p + 2)) < 0
            || !(p < n && s[p] == '.') || (p = digits13(s, n, p + 1)) < 0)
            return 0;
        f[F_DSN].off = d0;
        f[F_DSN].len = p - d0;
    }
    if (!LIT(", status=") || (p = run(s, n, p + 9, C_STATUS, &f[F_STATUS])) < 0)
        return 0;

    /* end of line, or " (TEXT": TEXT loses a final ")", then the next hop's queue ID */
    if (p == n)
        return 1;
    if (!LIT(" ("))
        return 0;
    Field *t = &f[F_TEXT];
    t->off = p + 2;
    t->len = n - t->off;
    if (t->len > 0 && s[n - 1] == ')')
        t->len--;
    const unsigned char *ts = s + t->off;
    Py_ssize_t a, b;
    /* _delivery_text also asks for " as " in TEXT first: every hit holds it, so no need */
    if (findall_last(ts, t->len, "queued as ", 10, &a, &b) || findall_last(ts, t->len, "forwarded as ", 13, &a, &b)) {
        while (b > 0 && ts[a + b - 1] == '.')
            b--;
        f[F_QAS].off = t->off + a;
        f[F_QAS].len = b;
    }
    return 1;
}

/* ---- lines the registry ignores, told by daemon and message prefix ---------------------------- */

#define MAX_IGNORE 64
typedef struct { const char *daemon, *prefix; Py_ssize_t dlen, plen; } Ignore;

/* The canonical envelope as tracer.formats.envelope reads it: parse_envelope, and a host that is no
 * "<fac.pri>" tag, starts with no "[" and ends in no ":", a program without ":()]". Returns the position
 * of the message or -1. */
static Py_ssize_t registry_envelope(const unsigned char *s, Py_ssize_t n, Field *f, int64_t *pid)
{
    Py_ssize_t p = parse_envelope(s, n, f, pid);
    if (p < 0)
        return -1;
    const unsigned char *h = s + f[F_HOST].off;
    Py_ssize_t hl = f[F_HOST].len;
    if (h[0] == '<' || h[0] == '[' || h[hl - 1] == ':')
        return -1;
    for (Py_ssize_t i = f[F_PROGRAM].off; i < f[F_PROGRAM].off + f[F_PROGRAM].len; i++)
        if (s[i] == ':' || s[i] == '(' || s[i] == ')' || s[i] == ']')
            return -1;
    return p;
}

/* 1 when s[0:n) is a Postfix line the pattern registry would count as ignored: the registry's
 * envelope, a daemon and a message prefix from the table that tracer.fastscan builds from
 * tracer.formats.postfix.IGNORED_PREFIXES. */
static int ignored_line(const unsigned char *s, Py_ssize_t n, const Ignore *tab, int ntab)
{
    Field f[NFIELDS];
    int64_t pid;
    if (ntab == 0)
        return 0;
    Py_ssize_t p = registry_envelope(s, n, f, &pid);
    if (p < 0)
        return 0;
    const unsigned char *d = s + f[F_DAEMON].off;
    Py_ssize_t dl = f[F_DAEMON].len;
    for (int k = 0; k < ntab; k++)
        if (tab[k].dlen == dl && memcmp(tab[k].daemon, d, (size_t)dl) == 0 && n - p >= tab[k].plen
            && memcmp(s + p, tab[k].prefix, (size_t)tab[k].plen) == 0)
            return 1;
    return 0;
}

/* ---- the next commonest Postfix lines, parsed into field spans the Python side gathers ------- */

/* What other_line recognises: each kind is one registry pattern (tracer.fastscan.KINDS names it) and
 * a strict subset of what that pattern matches, with the same groups. */
enum { K_NONE, K_QMGR_QUEUED, K_QMGR_REMOVED, K_CLEANUP_MESSAGE_ID, K_SMTPD_CLIENT, K_SMTPD_REJECT,
       K_BOUNCE_NOTIFICATION, NKINDS };
/* the groups, in the order of tracer.fastscan.GROUPS */
enum { G_TS, G_HOST, G_PROGRAM, G_QID, G_STATUS, G_SENDER, G_RCPT, G_CLIENT, G_TEXT, G_MSGID, G_QAS,
       G_SIZE, G_NRCPT, NGROUPS };
/* a rest row: line, start, end, kind, pid, key, then (offset, length) of each group in the block */
enum { R_LINE, R_START, R_END, R_KIND, R_PID, R_KEY, R_GROUPS };
#define REST_COLS (R_GROUPS + 2 * NGROUPS)

/* a queue ID (QID of tracer.formats.postfix) spanning s[p:r), r the first byte after the run */
static Py_ssize_t qid_end(const unsigned char *s, Py_ssize_t n, Py_ssize_t p)
{
    int all = C_HEX | C_B52;
    Py_ssize_t r;
    for (r = p; r < n && IS(s[r], C_HEX | C_B52); r++)
        all &= cls[s[r]];
    if (((all & C_HEX) && r - p >= 6) || ((all & C_B52) && r - p >= 10))
        return r;
    return -1;
}

/* NAME[ADDR][:PORT] (_CLIENT) from p, as the regex's first try reads it; returns its end or -1 */
static Py_ssize_t client_end(const unsigned char *s, Py_ssize_t n, Py_ssize_t p)
{
    while (p < n && s[p] != ' ' && s[p] != '[' && s[p] != ']')
        p++;
    if (p >= n || s[p] != '[')
        return -1;
    while (p < n && s[p] != ']')
        p++;
    if (p >= n)
        return -1;
    p++;
    if (p + 1 < n && s[p] == ':' && IS(s[p + 1], C_DIGIT)) {
        p++;
        while (p < n && IS(s[p], C_DIGIT))
            p++;
    }
    return p;
}

#define GROUP(i, a, b) (g[i] = (Field){(a), (b) - (a)})

/* qmgr: QID: from=<S>, size=N, nrcpt=N (queue WORD) | QID: removed */
static int qmgr_line(const unsigned char *s, Py_ssize_t n, Py_ssize_t p, Field *g)
{
    Py_ssize_t q = qid_end(s, n, p), r;
    if (q < 0 || !lit_at(s, n, q, ": ", 2))
        return K_NONE;
    GROUP(G_QID, p, q);
    p = q + 2;
    if (n - p == 7 && lit_at(s, n, p, "removed", 7))
        return K_QMGR_REMOVED;
    if (!LIT("from=") || (p = bracketed(s, n, p + 5, &g[G_SENDER])) < 0 || !LIT(", size=")
        || (r = run(s, n, p + 7, C_DIGIT, &g[G_SIZE])) < 0 || !lit_at(s, n, r, ", nrcpt=", 8)
        || (p = run(s, n, r + 8, C_DIGIT, &g[G_NRCPT])) < 0 || !LIT(" (queue "))
        return K_NONE;
    for (r = p += 8; r < n && (IS(s[r], C_DIGIT | C_STATUS) || s[r] == '_') && s[r] != '-'; r++)
        ;
    return r > p && r + 1 == n && s[r] == ')' ? K_QMGR_QUEUED : K_NONE;
}

/* cleanup: QID: message-id=VALUE */
static int cleanup_line(const unsigned char *s, Py_ssize_t n, Py_ssize_t p, Field *g)
{
    Py_ssize_t q = qid_end(s, n, p);
    if (q < 0 || !lit_at(s, n, q, ": message-id=", 13))
        return K_NONE;
    GROUP(G_QID, p, q);
    GROUP(G_MSGID, q + 13, n);
    return K_CLEANUP_MESSAGE_ID;
}

/* smtpd: QID|NOQUEUE: client=CLIENT[, TEXT] | QID|NOQUEUE: reject|milter-reject: STAGE from CLIENT: TEXT[; KV] */
static int smtpd_line(const unsigned char *s, Py_ssize_t n, Py_ssize_t p, Field *g)
{
    Py_ssize_t q = LIT("NOQUEUE: ") ? p + 7 : qid_end(s, n, p), r;
    if (q < 0 || !lit_at(s, n, q, ": ", 2))
        return K_NONE;
    GROUP(G_QID, p, q);
    p = q + 2;
    if (LIT("client=")) {
        if ((r = client_end(s, n, p + 7)) < 0)
            return K_NONE;
        GROUP(G_CLIENT, p + 7, r);
        if (r == n)
            return K_SMTPD_CLIENT;
        if (!lit_at(s, n, r, ", ", 2))
            return K_NONE;
        GROUP(G_TEXT, r + 2, n);
        return K_SMTPD_CLIENT;
    }
    if (LIT("reject: "))
        r = p + 6;
    else if (LIT("milter-reject: "))
        r = p + 13;
    else
        return K_NONE;
    GROUP(G_STATUS, p, r);
    p = r + 2;                              /* STAGE: [A-Z][A-Z-]* or "." */
    if (p < n && s[p] == '.')
        p++;
    else if (p < n && s[p] >= 'A' && s[p] <= 'Z')
        while (p < n && ((s[p] >= 'A' && s[p] <= 'Z') || s[p] == '-'))
            p++;
    else
        return K_NONE;
    if (!LIT(" from ") || (r = client_end(s, n, p + 6)) < 0 || !lit_at(s, n, r, ": ", 2))
        return K_NONE;
    GROUP(G_CLIENT, p + 6, r);
    /* TEXT (lazy) runs to the first "; " before from=|to=|proto=|helo=, else to the end */
    Py_ssize_t t = r + 2, e = t, i;
    for (;;) {
        i = find(s + e, n - e, "; ", 2);
        if (i < 0) {
            GROUP(G_TEXT, t, n);
            return K_SMTPD_REJECT;
        }
        e += i;
        if (lit_at(s, n, e + 2, "from=", 5) || lit_at(s, n, e + 2, "to=", 3) || lit_at(s, n, e + 2, "proto=", 6)
            || lit_at(s, n, e + 2, "helo=", 5))
            break;
        e++;
    }
    GROUP(G_TEXT, t, e);
    p = e + 2;                              /* (?:from=<S>)? ?(?:to=<R>)?.* */
    if (LIT("from=<") && (r = find(s + p + 6, n - p - 6, ">", 1)) >= 0) {
        GROUP(G_SENDER, p + 6, p + 6 + r);
        p += 6 + r + 1;
    }
    if (p < n && s[p] == ' ')
        p++;
    if (LIT("to=<") && (r = find(s + p + 4, n - p - 4, ">", 1)) >= 0)
        GROUP(G_RCPT, p + 4, p + 4 + r);
    return K_SMTPD_REJECT;
}

/* bounce: QID: sender|postmaster non-delivery|delay|delivery status notification: QID */
static int bounce_line(const unsigned char *s, Py_ssize_t n, Py_ssize_t p, Field *g)
{
    Py_ssize_t q = qid_end(s, n, p), t, r;
    if (q < 0 || !lit_at(s, n, q, ": ", 2))
        return K_NONE;
    GROUP(G_QID, p, q);
    t = p = q + 2;
    if (LIT("sender "))
        p += 7;
    else if (LIT("postmaster "))
        p += 11;
    else
        return K_NONE;
    if (LIT("non-delivery "))
        p += 13;
    else if (LIT("delay "))
        p += 6;
    else if (LIT("delivery status "))
        p += 16;
    else
        return K_NONE;
    if (!LIT("notification: "))
        return K_NONE;
    GROUP(G_TEXT, t, p + 12);
    p += 14;
    if ((r = qid_end(s, n, p)) != n)
        return K_NONE;
    GROUP(G_QAS, p, n);
    return K_BOUNCE_NOTIFICATION;
}

/* The kind of s[0:n) (K_NONE: the Python path decides), its envelope in f and groups in g. */
static int other_line(const unsigned char *s, Py_ssize_t n, Field *f, Field *g, int64_t *pid)
{
    Py_ssize_t p = registry_envelope(s, n, f, pid);
    if (p < 0)
        return K_NONE;
    for (int i = 0; i < NGROUPS; i++)
        g[i] = (Field){0, -1};
    g[G_TS] = f[F_TS];
    g[G_HOST] = f[F_HOST];
    g[G_PROGRAM] = f[F_PROGRAM];
    const unsigned char *d = s + f[F_DAEMON].off;
    switch (f[F_DAEMON].len) {
    case 4:
        return memcmp(d, "qmgr", 4) == 0 ? qmgr_line(s, n, p, g) : K_NONE;
    case 5:
        return memcmp(d, "smtpd", 5) == 0 ? smtpd_line(s, n, p, g) : K_NONE;
    case 6:
        return memcmp(d, "bounce", 6) == 0 ? bounce_line(s, n, p, g) : K_NONE;
    case 7:
        return memcmp(d, "cleanup", 7) == 0 ? cleanup_line(s, n, p, g) : K_NONE;
    }
    return K_NONE;
}

#undef GROUP
#undef LIT

/* ---- keys: a 64-bit hash of the line (and of two field tuples), masked to 63 bits ---------- */

/* Eight bytes a step: h = xorshift((h ^ word) * K2) in two lanes (even and odd words), then the lanes
 * combined, the tail word (zero-padded, the length in its top byte) and murmur3's finalizer. A step is
 * bound by a multiply's latency; two lanes keep two in flight (one lane ran at about a byte a cycle,
 * FNV-1a at a quarter of that). tracer.fastscan.line_key is the reference. */
#define K1 0x9E3779B97F4A7C15ULL
#define K2 0xC2B2AE3D27D4EB4FULL
#define K3 0x165667B19E3779F9ULL
#define KEY_MASK 0x7FFFFFFFFFFFFFFFULL

/* Words alternate between two lanes, so that two multiplies are in flight at a time: one chain took
 * a multiply's latency per word. w holds the n % 8 bytes not yet mixed; word j goes to lane j % 2. */
typedef struct { uint64_t h[2], w; uint64_t n; } Mix;

INLINE void mix_init(Mix *m)
{
    m->h[0] = K1;
    m->h[1] = K3;
    m->w = 0;
    m->n = 0;
}

/* the little-endian word at s */
INLINE uint64_t word_at(const unsigned char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

INLINE uint64_t mix_word(uint64_t h, uint64_t w)
{
    h = (h ^ w) * K2;
    return h ^ (h >> 31);
}

static void mix_bytes(Mix *m, const unsigned char *s, Py_ssize_t len)
{
    Py_ssize_t i = 0;
    for (; i < len && (m->n & 7); i++, m->n++) {       /* finish a partial word */
        m->w |= (uint64_t)s[i] << (8 * (m->n & 7));
        if ((m->n & 7) == 7) {
            m->h[(m->n >> 3) & 1] = mix_word(m->h[(m->n >> 3) & 1], m->w);
            m->w = 0;
        }
    }
    for (; i + 8 <= len; i += 8, m->n += 8)
        m->h[(m->n >> 3) & 1] = mix_word(m->h[(m->n >> 3) & 1], word_at(s + i));
    for (; i < len; i++, m->n++)
        m->w |= (uint64_t)s[i] << (8 * (m->n & 7));
}

INLINE int64_t key_final(uint64_t h, uint64_t tail, uint64_t n)
{
    h = (h ^ tail ^ (n << 56)) * K2;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return (int64_t)(h & KEY_MASK);
}

INLINE uint64_t lanes(uint64_t a, uint64_t b)
{
    return a ^ (b << 29 | b >> 35);
}

INLINE int64_t mix_final(const Mix *m)
{
    return key_final(lanes(m->h[0], m->h[1]), m->w, m->n);
}

/* the key of s[0:n) in one pass: pairs of words, a last whole word, then the tail */
static int64_t line_key(const unsigned char *s, Py_ssize_t n)
{
    uint64_t a = K1, b = K3, tail = 0;
    Py_ssize_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a = mix_word(a, word_at(s + i));
        b = mix_word(b, word_at(s + i + 8));
    }
    if (i + 8 <= n) {
        a = mix_word(a, word_at(s + i));
        i += 8;
    }
    for (int j = 0; i + j < n; j++)
        tail |= (uint64_t)s[i + j] << (8 * j);
    return key_final(lanes(a, b), tail, (uint64_t)n);
}

/* the key of the fields' bytes, each followed by a NUL byte but the last when last_nul is 0: copied
 * next to each other first (they are short), streamed when they are not */
static int64_t fields_key(const unsigned char *s, const Field *f, const int *idx, int k, int last_nul)
{
    static const unsigned char nul = 0;
    unsigned char buf[256];
    Py_ssize_t len = 0;
    for (int i = 0; i < k; i++)
        len += (f[idx[i]].len > 0 ? f[idx[i]].len : 0) + 1;
    if (len <= (Py_ssize_t)sizeof buf) {
        len = 0;
        for (int i = 0; i < k; i++) {
            if (f[idx[i]].len > 0) {
                memcpy(buf + len, s + f[idx[i]].off, (size_t)f[idx[i]].len);
                len += f[idx[i]].len;
            }
            if (i + 1 < k || last_nul)
                buf[len++] = 0;
        }
        return line_key(buf, len);
    }
    Mix m;
    mix_init(&m);
    for (int i = 0; i < k; i++) {
        if (f[idx[i]].len > 0)
            mix_bytes(&m, s + f[idx[i]].off, f[idx[i]].len);
        if (i + 1 < k || last_nul)
            mix_bytes(&m, &nul, 1);
    }
    return mix_final(&m);
}

/* The pair key: the key of QUEUE_ID, a NUL byte and RECIPIENT (a missing queue ID is empty). A
 * recipient's deliveries in one transaction share it, so a run of plain "sent" lines can be told
 * from the recipients that were deferred before (tracer.parse summarises the former). */
static int64_t pair_key(const unsigned char *s, const Field *f)
{
    static const int idx[] = {F_QID, F_RCPT};
    return fields_key(s, f, idx, 2, 0);
}

/* The run key: the key of HOST \0 PROGRAM \0 QUEUE_ID \0: the lines of one transaction. */
static int64_t run_key(const unsigned char *s, const Field *f)
{
    static const int idx[] = {F_HOST, F_PROGRAM, F_QID};
    return fields_key(s, f, idx, 3, 1);
}

/* "mailman" anywhere in s[0:n), in any case. Candidates are where an m and an n stand six bytes
 * apart (sixteen positions a step): an m alone is in nearly every address (".com", "gmail"). */
static int has_mailman(const unsigned char *s, Py_ssize_t n)
{
    Py_ssize_t i = 0;
#ifdef __SSE2__
    const __m128i lower = _mm_set1_epi8(0x20), m = _mm_set1_epi8('m'), nn = _mm_set1_epi8('n');
    for (; i + 6 + 16 <= n; i += 16) {
        __m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(s + i)), lower);
        __m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(s + i + 6)), lower);
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, m), _mm_cmpeq_epi8(b, nn)));
        for (; mask; mask &= mask - 1) {
            const unsigned char *c = s + i + __builtin_ctz(mask);
            if ((c[1] | 0x20) == 'a' && (c[2] | 0x20) == 'i' && (c[3] | 0x20) == 'l' && (c[4] | 0x20) == 'm'
                && (c[5] | 0x20) == 'a')
                return 1;
        }
    }
#endif
    for (; i + 7 <= n; i++)
        if ((s[i] | 0x20) == 'm' && (s[i + 6] | 0x20) == 'n' && (s[i + 1] | 0x20) == 'a' && (s[i + 2] | 0x20) == 'i'
            && (s[i + 3] | 0x20) == 'l' && (s[i + 4] | 0x20) == 'm' && (s[i + 5] | 0x20) == 'a')
            return 1;
    return 0;
}

INLINE int field_is(const unsigned char *s, const Field *f, int i, const char *w, Py_ssize_t n)
{
    return f[i].len == n && memcmp(s + f[i].off, w, (size_t)n) == 0;
}

/* FLAG_SENT: status=sent. FLAG_PLAIN: also an smtp/lmtp delivery that names Mailman nowhere (recipient,
 * relay, text), so not a hand-off into Mailman: one of a list's many outbound recipients. */
enum { FLAG_SENT = 1, FLAG_PLAIN = 2 };

static int64_t row_flags(const unsigned char *s, const Field *f)
{
    if (!field_is(s, f, F_STATUS, "sent", 4))
        return 0;
    if (!(field_is(s, f, F_DAEMON, "smtp", 4) || field_is(s, f, F_DAEMON, "lmtp", 4))
        || has_mailman(s + f[F_RCPT].off, f[F_RCPT].len) || has_mailman(s + f[F_RELAY].off, f[F_RELAY].len)
        || (f[F_TEXT].len > 0 && has_mailman(s + f[F_TEXT].off, f[F_TEXT].len)))
        return FLAG_SENT;
    return FLAG_SENT | FLAG_PLAIN;
}

/* ---- output buffers: malloc'd, so they grow without the GIL; handed over as Buffer objects ---- */

typedef struct {
    char *p;
    Py_ssize_t len, cap;
    int slot;               /* which of a scan's buffers this is (the pool's index) */
} Buf;

/* ---- freed scan buffers kept for the next block ----
 * A block's buffers are ~12 MB, mmap'd (see PyInit__fastscan) and written once; every fresh page
 * faults, which on a VM cost more than the scan itself (a 1 GB maillog: 420k faults, 2 s of 4).
 * A buffer freed after its block was handled goes back to the pool under its slot (the same buffer
 * of the next block needs about as much), at most POOL_DEPTH per slot; release() empties the pool. */
#define NSLOTS (7 + 3 * NFIELDS)
#define POOL_DEPTH 2
typedef struct { char *p; Py_ssize_t cap; } Chunk;
static Chunk pool[NSLOTS][POOL_DEPTH];
static int pool_n[NSLOTS];
static PyThread_type_lock pool_lock;

/* a pooled chunk for slot (1) or nothing (0); called without the GIL */
static int pool_take(int slot, Chunk *c)
{
    int got = 0;
    PyThread_acquire_lock(pool_lock, WAIT_LOCK);
    if (pool_n[slot] > 0) {
        *c = pool[slot][--pool_n[slot]];
        got = 1;
    }
    PyThread_release_lock(pool_lock);
    return got;
}

/* keep p for slot, or free it when the slot is full */
static void pool_give(int slot, char *p, Py_ssize_t cap)
{
    if (p == NULL)
        return;
    PyThread_acquire_lock(pool_lock, WAIT_LOCK);
    if (slot >= 0 && pool_n[slot] < POOL_DEPTH) {
        pool[slot][pool_n[slot]++] = (Chunk){p, cap};
        p = NULL;
    }
    PyThread_release_lock(pool_lock);
    free(p);
}

static PyObject *release(PyObject *self, PyObject *args)
{
    (void)self;
    (void)args;
    Py_ssize_t n = 0;
    PyThread_acquire_lock(pool_lock, WAIT_LOCK);
    for (int s = 0; s < NSLOTS; s++)
        while (pool_n[s] > 0) {
            Chunk c = pool[s][--pool_n[s]];
            n += c.cap;
            free(c.p);
        }
    PyThread_release_lock(pool_lock);
    return PyLong_FromSsize_t(n);
}

typedef struct {
    PyThreadState *ts;      /* non-NULL while the GIL is released */
} Gil;

/* A block of malloc'd memory exposed through the buffer protocol (pa.py_buffer, np.frombuffer take it
 * without a copy). Bytes objects would need the GIL to grow, and the thread that parses the other
 * lines holds it most of the time: each regrowth waited for a switch interval. */
typedef struct {
    PyObject_HEAD
    char *p;
    Py_ssize_t len, cap;
    int slot;
} Buffer;

static void buffer_dealloc(Buffer *self)
{
    pool_give(self->slot, self->p, self->cap);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int buffer_getbuffer(Buffer *self, Py_buffer *view, int flags)
{
    return PyBuffer_FillInfo(view, (PyObject *)self, self->p, self->len, 1, flags);
}

static Py_ssize_t buffer_length(Buffer *self)
{
    return self->len;
}

static PyBufferProcs buffer_as_buffer = {(getbufferproc)buffer_getbuffer, NULL};
static PySequenceMethods buffer_as_sequence = {.sq_length = (lenfunc)buffer_length};

static PyTypeObject BufferType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracer._fastscan.Buffer",
    .tp_basicsize = sizeof(Buffer),
    .tp_dealloc = (destructor)buffer_dealloc,
    .tp_as_sequence = &buffer_as_sequence,
    .tp_as_buffer = &buffer_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Read-only memory a scan filled (buffer protocol; len() is its size in bytes).",
};

static int buf_init(Buf *b, Py_ssize_t cap, int slot)
{
    Chunk c;
    b->slot = slot;
    if (pool_take(slot, &c)) {
        if (c.cap >= cap) {
            b->p = c.p;
            b->len = 0;
            b->cap = c.cap;
            return 0;
        }
        free(c.p);
    }
    b->p = malloc((size_t)cap);
    if (b->p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->len = 0;
    b->cap = cap;
    return 0;
}

/* capacity for at least need bytes in all; when it has to move, for want (an estimate of the
 * final size) or 1.25 times the old capacity if more: a move copies the bytes so far.
 * Runs without the GIL: on failure it returns -1 with no exception set (scan raises MemoryError). */
static int buf_reserve(Buf *b, Py_ssize_t need, Py_ssize_t want, Gil *g)
{
    (void)g;
    if (need <= b->cap)
        return 0;
    Py_ssize_t cap = b->cap + b->cap / 4;
    cap = cap > need ? cap : need;
    cap = cap > want ? cap : want;
    char *p = realloc(b->p, (size_t)cap);
    if (p == NULL)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

/* the first len bytes as a Buffer object, which takes the memory over (and pools it when freed) */
static PyObject *buf_finish(Buf *b, Py_ssize_t len)
{
    Buffer *o = PyObject_New(Buffer, &BufferType);
    if (o == NULL)
        return NULL;
    if (b->cap > 2 * len + (64 << 10)) {   /* a big pooled chunk for a small block: give back the rest */
        Py_ssize_t cap = len > 0 ? len : 1;
        char *p = realloc(b->p, (size_t)cap);
        if (p != NULL) {
            b->p = p;
            b->cap = cap;
        }
    }
    o->p = b->p;
    o->len = len;
    o->cap = b->cap;
    o->slot = b->slot;
    b->p = NULL;
    return (PyObject *)o;
}

/* What scan builds. The row buffers (line, pid, key, off, valid) are indexed by row; data[i].len
 * is the bytes of column i so far. Space is reserved in advance for byte_room input bytes and
 * row_room rows, so that emitting a row checks one budget, not thirty buffers. */
typedef struct {
    Buf line, pid, key, pair, run, flags, rest;
    Buf off[NFIELDS], data[NFIELDS], valid[NFIELDS];
    Py_ssize_t nulls[NFIELDS];
    Py_ssize_t rows, nrest, byte_room, row_room;
} Out;

#define ALL_BUFS(o, X) do { X(&(o)->line); X(&(o)->pid); X(&(o)->key); X(&(o)->pair); X(&(o)->run); X(&(o)->flags); \
    X(&(o)->rest); \
    for (int i_ = 0; i_ < NFIELDS; i_++) { X(&(o)->off[i_]); X(&(o)->data[i_]); X(&(o)->valid[i_]); } } while (0)
#define CLEAR_BUF(b) do { pool_give((b)->slot, (b)->p, (b)->cap); (b)->p = NULL; } while (0)
#define MIN_LINE 40         /* parse_line accepts no shorter line */
#define SEGMENT (256 << 10) /* input bytes reserved for at a time */

static int out_init(Out *o)
{
    int slot = 0;
#define INIT_BUF(b) if (buf_init((b), 64, slot++) < 0) return -1
    ALL_BUFS(o, INIT_BUF);
#undef INIT_BUF
    for (int i = 0; i < NFIELDS; i++)
        memset(o->off[i].p, 0, 8);          /* offsets[0] */
    return 0;
}

/* Room for the next `bytes` input bytes (at least one line) and the rows they can hold: each
 * column takes at most `bytes` of them, plus 16 for the over-long moves of copy_field. A buffer
 * that must grow is sized for the whole block (`total` input bytes), extrapolated from the
 * `done` bytes so far, so that it seldom moves again. */
static int out_reserve(Out *o, Py_ssize_t bytes, Py_ssize_t done, Py_ssize_t total, Gil *g)
{
    double scale = done > 0 ? 1.05 * (double)total / (double)done : 0.0;
    Py_ssize_t rows = o->rows + bytes / MIN_LINE + 1, want = (Py_ssize_t)(scale * (double)o->rows) + 1;
    if (buf_reserve(&o->line, rows * 8, want * 8, g) || buf_reserve(&o->pid, rows * 8, want * 8, g)
        || buf_reserve(&o->key, rows * 8, want * 8, g) || buf_reserve(&o->pair, rows * 8, want * 8, g)
        || buf_reserve(&o->run, rows * 8, want * 8, g) || buf_reserve(&o->flags, rows * 8, want * 8, g))
        return -1;
    for (int i = 0; i < NFIELDS; i++) {
        Buf *d = &o->data[i], *v = &o->valid[i];
        if (buf_reserve(d, d->len + bytes + 16, (Py_ssize_t)(scale * (double)d->len) + 16, g)
            || buf_reserve(&o->off[i], (rows + 1) * 8, (want + 1) * 8, g))
            return -1;
        if (NULLABLE[i] && v->len < rows / 8 + 1) {    /* bitmap bytes [0, len) are zeroed */
            if (buf_reserve(v, rows / 8 + 1, want / 8 + 1, g))
                return -1;
            memset(v->p + v->len, 0, rows / 8 + 1 - v->len);
            v->len = rows / 8 + 1;
        }
    }
    o->byte_room = bytes;
    o->row_room = rows - o->rows;
    return 0;
}

/* copy a field; 16-byte moves (inlined) when the source has bytes to spare after it */
INLINE void copy_field(char *dst, const unsigned char *src, Py_ssize_t n, const unsigned char *limit)
{
    if (src + n + 16 <= limit)
        for (Py_ssize_t i = 0; i < n; i += 16)
            memcpy(dst + i, src + i, 16);
    else
        memcpy(dst, src, n);
}

/* One row: the line s[0:n) with its fields f; s is at byte done of the input, limit at its end. */
static int emit_row(Out *o, const unsigned char *s, Py_ssize_t n, Py_ssize_t done, const unsigned char *limit,
                    const Field *f, int64_t line, int64_t pid, Gil *g)
{
    if (o->row_room < 1 || o->byte_room < n) {
        Py_ssize_t total = done + (limit - s), bytes = limit - s < SEGMENT ? limit - s : SEGMENT;
        if (out_reserve(o, bytes > n ? bytes : n, done, total, g) < 0)
            return -1;
    }
    Py_ssize_t row = o->rows;
    ((int64_t *)o->line.p)[row] = line;
    ((int64_t *)o->pid.p)[row] = pid;
    ((int64_t *)o->pair.p)[row] = pair_key(s, f);
    ((int64_t *)o->run.p)[row] = run_key(s, f);
    ((int64_t *)o->flags.p)[row] = row_flags(s, f);
    ((int64_t *)o->key.p)[row] = line_key(s, n);
    UNROLL for (int i = 0; i < NFIELDS; i++) {
        Buf *d = &o->data[i];
        if (f[i].len > 0) {
            copy_field(d->p + d->len, s + f[i].off, f[i].len, limit);
            d->len += f[i].len;
        }
        ((int64_t *)o->off[i].p)[row + 1] = (int64_t)d->len;
        if (NULLABLE[i]) {
            if (f[i].len >= 0)
                o->valid[i].p[row >> 3] |= (char)(1 << (row & 7));
            else
                o->nulls[i]++;
        }
    }
    o->rows++;
    o->row_room--;
    o->byte_room -= n;
    return 0;
}

/* A line left to Python: its number and span in the block; with a kind, its pid, key and group spans
 * (made absolute: g holds offsets within the line that starts at byte start). */
static int emit_rest(Out *o, int64_t line, int64_t start, int64_t end, int kind, int64_t pid, const Field *g,
                     const unsigned char *s, Gil *g_)
{
    Py_ssize_t k = o->nrest, row = REST_COLS * 8;
    if (buf_reserve(&o->rest, (k + 1) * row, 2 * k * row, g_))
        return -1;
    int64_t *r = (int64_t *)o->rest.p + k * REST_COLS;
    r[R_LINE] = line;
    r[R_START] = start;
    r[R_END] = end;
    r[R_KIND] = kind;
    r[R_PID] = kind ? pid : 0;
    r[R_KEY] = kind ? line_key(s, end - start) : 0;
    for (int i = 0; i < NGROUPS; i++) {
        r[R_GROUPS + 2 * i] = kind && g[i].len >= 0 ? start + g[i].off : 0;
        r[R_GROUPS + 2 * i + 1] = kind ? g[i].len : -1;
    }
    o->nrest++;
    return 0;
}

/* a tuple taking the references of items; NULL, with every item released, if any item is NULL */
static PyObject *pack(int n, PyObject **items)
{
    PyObject *t = PyTuple_New(n);
    for (int i = 0; i < n; i++)
        if (items[i] == NULL)
            Py_CLEAR(t);
    for (int i = 0; i < n; i++) {
        if (t)
            PyTuple_SET_ITEM(t, i, items[i]);
        else
            Py_XDECREF(items[i]);
    }
    return t;
}

/* (rows, line, pid, key, pair, run, flags, ((offsets, data, validity|None, null_count) x 14), rest) */
static PyObject *out_finish(Out *o)
{
    PyObject *cols[NFIELDS];
    for (int i = 0; i < NFIELDS; i++) {
        PyObject *col[4] = {
            buf_finish(&o->off[i], (o->rows + 1) * 8), buf_finish(&o->data[i], o->data[i].len),
            o->nulls[i] ? buf_finish(&o->valid[i], (o->rows + 7) / 8) : Py_NewRef(Py_None),
            PyLong_FromSsize_t(o->nulls[i])};
        cols[i] = pack(4, col);
    }
    Py_ssize_t r = o->rows * 8, k = o->nrest * 8;
    PyObject *top[9] = {
        PyLong_FromSsize_t(o->rows), buf_finish(&o->line, r), buf_finish(&o->pid, r), buf_finish(&o->key, r),
        buf_finish(&o->pair, r), buf_finish(&o->run, r), buf_finish(&o->flags, r), pack(NFIELDS, cols),
        buf_finish(&o->rest, k * REST_COLS)};
    return pack(9, top);
}

static PyObject *scan(PyObject *self, PyObject *args)
{
    Py_buffer view;
    long long first_line;
    Out o;
    Gil g = {NULL};
    Field f[NFIELDS], groups[NGROUPS];
    int kinds = 1;
    PyObject *res = NULL;
    (void)self;

    memset(&o, 0, sizeof o);

    PyObject *ignore = NULL;
    Ignore tab[MAX_IGNORE];
    int ntab = 0;
    Py_ssize_t nignored = 0;
    if (!PyArg_ParseTuple(args, "y*L|O!p:scan", &view, &first_line, &PyTuple_Type, &ignore, &kinds))
        return NULL;
    if (ignore != NULL) {                   /* ((daemon: bytes, prefix: bytes), ...): held by args */
        if (PyTuple_GET_SIZE(ignore) > MAX_IGNORE) {
            PyErr_SetString(PyExc_ValueError, "scan: too many ignore prefixes");
            goto done;
        }
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(ignore); k++) {
            PyObject *e = PyTuple_GET_ITEM(ignore, k);
            if (!PyTuple_Check(e) || PyTuple_GET_SIZE(e) != 2 || !PyBytes_Check(PyTuple_GET_ITEM(e, 0))
                || !PyBytes_Check(PyTuple_GET_ITEM(e, 1))) {
                PyErr_SetString(PyExc_TypeError, "scan: ignore is a tuple of (daemon, prefix) bytes pairs");
                goto done;
            }
            PyObject *dm = PyTuple_GET_ITEM(e, 0), *px = PyTuple_GET_ITEM(e, 1);
            tab[ntab++] = (Ignore){PyBytes_AS_STRING(dm), PyBytes_AS_STRING(px), PyBytes_GET_SIZE(dm),
                                   PyBytes_GET_SIZE(px)};
        }
    }
    if (view.len > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "scan: blocks must be shorter than 2 GiB");
        goto done;
    }
    if (out_init(&o) < 0)
        goto done;

    const unsigned char *base = view.buf;
    Py_ssize_t size = view.len, pos = 0;
    int64_t line = first_line, pid = 0;
    int err = 0;
    g.ts = PyEval_SaveThread();
    while (pos < size && !err) {
        int clean;
        Py_ssize_t end = line_end(base, pos, size, &clean), next = end < size ? end + 1 : size;
        if (end > pos && base[end - 1] == '\r')
            end--;
        if (clean && parse_line(base + pos, end - pos, f, &pid))
            err = emit_row(&o, base + pos, end - pos, pos, base + size, f, line, pid, &g);
        else if (clean && ignored_line(base + pos, end - pos, tab, ntab))
            nignored++;
        else {
            int kind = clean && kinds ? other_line(base + pos, end - pos, f, groups, &pid) : K_NONE;
            err = emit_rest(&o, line, pos, end, kind, pid, groups, base + pos, &g);
        }
        pos = next;
        line++;
    }
    PyEval_RestoreThread(g.ts);
    if (err)
        PyErr_NoMemory();
    if (!err && (res = out_finish(&o)) != NULL) {    /* + (lines, ignored) */
        PyObject *more = Py_BuildValue("(nn)", (Py_ssize_t)(line - first_line), nignored);
        PyObject *all = more ? PySequence_Concat(res, more) : NULL;
        Py_XDECREF(more);
        Py_SETREF(res, all);
    }
done:
    ALL_BUFS(&o, CLEAR_BUF);
    PyBuffer_Release(&view);
    return res;
}

/* count_newlines(buf, start, end): the "\n" bytes in buf[start:end], 16 at a time without the GIL.
 * bytes.count needs a bytes object; an mmap'd log has none without a copy, which on a gigabyte
 * costs more than the search it serves (tracer.focus). */
static PyObject *count_newlines(PyObject *self, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t start = 0, end = PY_SSIZE_T_MAX, n = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*|nn:count_newlines", &view, &start, &end))
        return NULL;
    if (start < 0)
        start = 0;
    if (end > view.len)
        end = view.len;
    const unsigned char *b = view.buf;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t i = start;
#ifdef __SSE2__
    /* per-byte counters (a match is -1: subtract it), summed before any can pass 255 */
    const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    while (i + 64 <= end) {
        __m128i acc = zero;
        for (int k = 0; k < 63 && i + 64 <= end; k++, i += 64) {
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(b + i)), nl));
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(b + i + 16)), nl));
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(b + i + 32)), nl));
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(b + i + 48)), nl));
        }
        __m128i sums = _mm_sad_epu8(acc, zero);  /* two 64-bit lane sums */
        n += _mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums));
    }
#endif
    for (; i < end; i++)
        n += b[i] == '\n';
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(n);
}

/* gather(buf, rows, ncols, off_col, len_col) -> (offsets, data): the Arrow large_string buffers of
 * buf[off:off+len] for each row of the int64 matrix rows (ncols wide); len < 0 (null) gives no bytes.
 * numpy's way (an index per byte) cost more than the scan of the kind rows it serves. */
static PyObject *gather(PyObject *self, PyObject *args)
{
    Py_buffer b, m;
    int ncols, oc, lc;
    PyObject *offsets = NULL, *data = NULL;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*iii:gather", &b, &m, &ncols, &oc, &lc))
        return NULL;
    if (ncols <= 0 || oc < 0 || oc >= ncols || lc < 0 || lc >= ncols || m.len % ((Py_ssize_t)ncols * 8)) {
        PyErr_SetString(PyExc_ValueError, "gather: rows is not an int64 matrix with those columns");
        goto done;
    }
    Py_ssize_t n = m.len / ((Py_ssize_t)ncols * 8), total = 0;
    const int64_t *r = m.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t off = r[i * ncols + oc], len = r[i * ncols + lc];
        if (len > 0) {
            if (off < 0 || off > b.len - len) {
                PyErr_SetString(PyExc_ValueError, "gather: a span is outside the buffer");
                goto done;
            }
            total += len;
        }
    }
    offsets = PyBytes_FromStringAndSize(NULL, (n + 1) * 8);
    data = PyBytes_FromStringAndSize(NULL, total);
    if (offsets == NULL || data == NULL)
        goto done;
    int64_t *o = (int64_t *)PyBytes_AS_STRING(offsets), at = 0;
    char *d = PyBytes_AS_STRING(data);
    o[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t len = r[i * ncols + lc];
        if (len > 0) {
            memcpy(d + at, (const char *)b.buf + r[i * ncols + oc], (size_t)len);
            at += len;
        }
        o[i + 1] = at;
    }
done:
    PyBuffer_Release(&b);
    PyBuffer_Release(&m);
    if (PyErr_Occurred()) {
        Py_XDECREF(offsets);
        Py_XDECREF(data);
        return NULL;
    }
    return Py_BuildValue("(NN)", offsets, data);
}

static PyMethodDef methods[] = {
    {"gather", gather, METH_VARARGS,
     "gather(buf, rows, ncols, off_col, len_col) -> (offsets, data)\n\n"
     "Arrow large_string buffers of buf[off:off+len] per row of an int64 matrix; len < 0 gives none."},
    {"release", release, METH_NOARGS,
     "release() -> int\n\nFree the scan buffers kept for reuse; returns their bytes."},
    {"count_newlines", count_newlines, METH_VARARGS,
     "count_newlines(buf, start=0, end=len) -> int\n\nThe newline bytes in buf[start:end] (any buffer, e.g. an mmap)."},
    {"scan", scan, METH_VARARGS,
     "scan(buf, first_line[, ignore[, kinds]]) -> (rows, line, pid, key, pair, run, flags, columns, rest, lines,\n"
     "ignored)\n\n"
     "Parse the canonical Postfix delivery lines of a block of lines into Arrow buffers;\n"
     "see tracer.fastscan for the layout."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "tracer._fastscan",
    "The canonical Postfix delivery line parsed in C into Arrow buffers; use tracer.fastscan.",
    -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fastscan(void)
{
    PyObject *names[NFIELDS], *nullable[NFIELDS], *m;
    init_classes();
    if (pool_lock == NULL && (pool_lock = PyThread_allocate_lock()) == NULL)
        return PyErr_NoMemory();
#ifdef __GLIBC__
    /* Scan buffers are megabytes, allocated and freed once a block on a thread. glibc raises its mmap
     * threshold to the size of each big block freed, after which they come from the thread's arena and
     * stay in the process once freed: a 1 GB maillog left 400 MB behind. A fixed threshold keeps them
     * mmap'd, returned to the system when freed and grown by mremap. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
    if (PyType_Ready(&BufferType) < 0)
        return NULL;
    for (int i = 0; i < NFIELDS; i++) {
        names[i] = PyUnicode_FromString(FIELD_NAMES[i]);
        nullable[i] = PyBool_FromLong(NULLABLE[i]);
    }
    PyObject *n = pack(NFIELDS, names), *z = pack(NFIELDS, nullable);
    if (n == NULL || z == NULL || (m = PyModule_Create(&module)) == NULL) {
        Py_XDECREF(n);
        Py_XDECREF(z);
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "COLUMNS", n) < 0 || PyModule_AddObjectRef(m, "NULLABLE", z) < 0
        || PyModule_AddIntConstant(m, "LAYOUT", LAYOUT) < 0 || PyModule_AddIntConstant(m, "REST_COLS", REST_COLS) < 0
        || PyModule_AddIntConstant(m, "NKINDS", NKINDS) < 0) {
        Py_DECREF(m);
        m = NULL;
    }
    Py_DECREF(n);
    Py_DECREF(z);
    return m;
}
