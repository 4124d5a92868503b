/*
 * What the benchmark programs share: the numbered test frame the
 * generators send and every receiver counts, the receive counter that
 * turns frames into a rate and a loss figure, and small helpers (clocks,
 * CPU time, MAC parsing, the one-line JSON report bench/run reads).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

/* IEEE 802 local experimental ethertype: the stack ignores it. */
#define BENCH_ETHERTYPE		0x88b5
#define BENCH_MAGIC		"rsbench1"
/* dst, src, type, magic, run id, sequence number */
#define BENCH_HDR_LEN		(6 + 6 + 2 + 8 + 4 + 4)
#define BENCH_MIN_FRAME		BENCH_HDR_LEN
#define BENCH_MAX_FRAME		9000
#define BENCH_MAX_COUNT		(64u * 1024 * 1024)

/* Fill a test frame of len bytes (padding included). */
void	bench_frame_fill(unsigned char *buf, size_t len,
	    const unsigned char src[6], const unsigned char dst[6],
	    uint32_t run, uint32_t seq);
/* Rewrite the sequence number of a filled frame. */
void	bench_frame_set_seq(unsigned char *buf, uint32_t seq);
/* The sequence number of a frame of run, or -1 if it is not one. */
int64_t	bench_frame_seq(const unsigned char *buf, size_t len, uint32_t run);

/*
 * Counts the distinct test frames of one run until expected have arrived.
 * Times are taken when the receiver handles a frame, so the rate is what
 * reaches the reader, not what the kernel timestamped.
 */
struct bench_rx {
	uint32_t	 run;
	uint32_t	 expected;
	uint32_t	 received;	/* distinct sequence numbers */
	uint64_t	 dups;
	uint64_t	 others;	/* frames that are not ours */
	uint64_t	 bad;		/* ours, but cut or not as sent */
	size_t		 size;		/* each frame's length; 0: any */
	uint64_t	 first_ns;
	uint64_t	 last_ns;
	uint64_t	 cpu_ready_ns;	/* this process's CPU time at start */
	uint64_t	 deadline_ns;	/* bench_rx_loop's end: drains stop */
	unsigned char	*seen;		/* one bit per sequence number */
};

/* size: the length every frame of the run has (0: not checked); a frame
 * of another length or whose last byte is not its padding's is "bad". */
int	bench_rx_init(struct bench_rx *, uint32_t run, uint32_t expected,
	    size_t size);
void	bench_rx_free(struct bench_rx *);
/* Count one frame seen at now_ns; returns 1 once all have arrived. */
int	bench_rx_frame(struct bench_rx *, const void *buf, size_t len,
	    uint64_t now_ns);
int	bench_rx_done(const struct bench_rx *);
/*
 * Say ready, then call drain(arg) whenever fd is readable until it returns
 * 1 (all counted), nothing new came for idle_ms since the last frame, or
 * seconds have passed.
 */
void	bench_rx_loop(struct bench_rx *, int fd, int (*drain)(void *),
	    void *arg, unsigned long seconds, unsigned long idle_ms);
/* Print the report as one JSON object; extra is "" or ",\"k\":v...". */
void	bench_rx_report(const struct bench_rx *, const char *extra);

/* The options every receiver takes: -r run -n count -t seconds -T idle_ms. */
struct bench_rx_opts {
	uint32_t	 run;
	uint32_t	 count;		/* 0: not given */
	unsigned long	 seconds;
	unsigned long	 idle_ms;
	size_t		 size;		/* -z: every frame's length */
};
#define BENCH_RX_OPTS	"r:n:t:T:z:"
#define BENCH_RX_OPTS_INIT	{ 0, 0, 30, 1000, 0 }
/* Take option ch if it is one of those; 1 taken, 0 not one of them. */
int	bench_rx_opt(struct bench_rx_opts *, int ch, const char *arg);

/*
 * The options every sender takes: -S src -D dst -r run -n count -s size
 * -b batch -t seconds.
 */
#define BENCH_TX_MAX_BATCH	256
struct bench_tx_opts {
	unsigned char	 src[6];
	unsigned char	 dst[6];
	int		 have_src, have_dst;
	uint32_t	 run;
	uint32_t	 count;		/* 0: not given */
	size_t		 size;		/* 0: not given */
	unsigned int	 batch;
	unsigned long	 seconds;
};
#define BENCH_TX_OPTS	"S:D:r:n:s:b:t:"
#define BENCH_TX_OPTS_INIT	{ .batch = 64, .seconds = 30 }
/* Take option ch if it is one of those; 1 taken, 0 not one of them. */
int	bench_tx_opt(struct bench_tx_opts *, int ch, const char *arg);
/* Whether every required sender option was given. */
int	bench_tx_opts_complete(const struct bench_tx_opts *);

uint64_t	bench_now_ns(void);		/* CLOCK_MONOTONIC */
uint64_t	bench_cpu_ns(void);		/* this process, user+system */
int		bench_parse_mac(const char *, unsigned char[6]);
/* A non-negative integer argument within [min, max], or exit(2). */
unsigned long	bench_arg_num(const char *opt, const char *s,
		    unsigned long min, unsigned long max);
/* A packet socket bound to ifname that only sends (protocol 0), or exit. */
int		bench_send_socket(const char *ifname);
/* Say on stderr that set-up is done (bench/run waits for this line). */
void		bench_ready(void);

#endif
