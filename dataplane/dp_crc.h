/*
 * One CRC32-C step for the dataplane's hash tables. rte_hash_crc_8byte checks at run time which
 * CRC instructions the CPU has, on every call; a build for a CPU with SSE4.2 (every -Dcpu nwsim
 * is built for) knows it already and emits the instruction itself.
 */
#ifndef DP_CRC_H
#define DP_CRC_H

#include <stdint.h>

/* 2^32 divided by the golden ratio: a seed and a multiplier that spread bits (Knuth). */
#define DP_HASH_GOLDEN32 0x9e3779b9u
/* The prime nearest it, for multiplicative hashing. */
#define DP_HASH_GOLDEN32_PRIME 0x9e3779b1u
/* 2^64 divided by the golden ratio, splitmix64's increment. */
#define DP_HASH_GOLDEN64 0x9e3779b97f4a7c15ull

#ifdef __SSE4_2__
#include <nmmintrin.h>

static inline uint32_t dp_crc_8byte(uint64_t v, uint32_t init)
{
	return (uint32_t)_mm_crc32_u64(init, v);
}
#else
#include <rte_hash_crc.h>

static inline uint32_t dp_crc_8byte(uint64_t v, uint32_t init)
{
	return rte_hash_crc_8byte(v, init);
}
#endif

#endif
