// The latent vectors of `wgan sample --seed S`, in JavaScript: LibTorch's CPU torch::randn from a
// generator seeded with S (Mersenne Twister mt19937, 24-bit float uniforms, Box-Muller), and the
// slerp of `--interpolate`. The exported web page and the ONNX tests use it, so that a seed means
// the same images in the browser as on the command line. Loaded as a classic <script> (it defines
// `WganRandom`) or with Node's require().
(function (root) {
  'use strict';

  // mt19937 (Matsumoto & Nishimura), seeded as std::mt19937(seed) with the seed's low 32 bits.
  class MersenneTwister {
    constructor(seed) {
      this.state = new Uint32Array(624);
      this.index = 624;
      this.state[0] = Number(BigInt.asUintN(32, BigInt(seed)));
      for (let i = 1; i < 624; ++i) {
        const prev = this.state[i - 1] ^ (this.state[i - 1] >>> 30);
        // 1812433253 * prev + i in 32 bits, split so the product stays exact in doubles.
        this.state[i] = ((((prev & 0xffff0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000ffff) * 1812433253 + i;
      }
    }
    twist() {
      const s = this.state;
      for (let i = 0; i < 624; ++i) {
        const y = (s[i] & 0x80000000) | (s[(i + 1) % 624] & 0x7fffffff);
        s[i] = s[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    next() {  // uint32
      if (this.index >= 624) this.twist();
      let y = this.state[this.index++];
      y ^= y >>> 11;
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      y ^= y >>> 18;
      return y >>> 0;
    }
    // LibTorch's uniform_real_distribution<float>(0, 1): the low 24 bits over 2^24.
    uniformFloat() { return Math.fround((this.next() & 0xffffff) / 16777216); }
    // uniform_real_distribution<double>(0, 1): 53 bits of a 64-bit draw (two 32-bit draws, the
    // first one high).
    uniformDouble() {
      const hi = this.next(), lo = this.next();
      const bits = ((BigInt(hi) << 32n) | BigInt(lo)) & ((1n << 53n) - 1n);
      return Number(bits) / 9007199254740992;
    }
  }

  // Box-Muller on 16 uniforms at a time, in place: pairs (j, j + 8), as LibTorch's normal_fill_16.
  function boxMuller16(data, offset) {
    for (let j = 0; j < 8; ++j) {
      const u1 = 1 - data[offset + j];
      const u2 = data[offset + j + 8];
      const radius = Math.sqrt(-2 * Math.log(u1));
      const theta = 2 * Math.PI * u2;
      data[offset + j] = radius * Math.cos(theta);
      data[offset + j + 8] = radius * Math.sin(theta);
    }
  }

  // torch::randn({count}) (float32, CPU) from a fresh generator seeded with `seed`.
  function randn(seed, count) {
    const rng = new MersenneTwister(seed);
    const out = new Float32Array(count);
    if (count >= 16) {
      // LibTorch's normal_fill: all uniforms first, Box-Muller per block of 16, and when the size is
      // not a multiple of 16 the last 16 values drawn afresh.
      for (let i = 0; i < count; ++i) out[i] = rng.uniformFloat();
      for (let i = 0; i + 16 <= count; i += 16) boxMuller16(out, i);
      if (count % 16 !== 0) {
        const tail = count - 16;
        for (let i = 0; i < 16; ++i) out[tail + i] = rng.uniformFloat();
        boxMuller16(out, tail);
      }
      return out;
    }
    // Small tensors: one double-precision normal at a time, the second value of each pair cached.
    let cached = null;
    for (let i = 0; i < count; ++i) {
      if (cached !== null) {
        out[i] = cached;
        cached = null;
        continue;
      }
      const u1 = rng.uniformDouble(), u2 = rng.uniformDouble();
      const r = Math.sqrt(-2 * Math.log(1 - u2));
      const theta = 2 * Math.PI * u1;
      cached = r * Math.sin(theta);
      out[i] = r * Math.cos(theta);
    }
    return out;
  }

  // The z of `wgan sample --seed S --num N`: N x latent, row-major.
  function latents(seed, count, latentDim) { return randn(seed, count * latentDim); }

  // The z a seed stands for in `--interpolate A,B`.
  function latentForSeed(seed, latentDim) { return randn(seed, latentDim); }

  // Point t in [0, 1] of the great-circle path from a to b (linear when they are (anti)parallel), in
  // double precision as `wgan sample --interpolate`.
  function slerp(a, b, t) {
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < a.length; ++i) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
    const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na) / Math.sqrt(nb))));
    const out = new Float32Array(a.length);
    const linear = Math.sin(omega) < 1e-6;
    for (let i = 0; i < a.length; ++i) {
      out[i] = linear ? (1 - t) * a[i] + t * b[i]
                      : (Math.sin((1 - t) * omega) * a[i] + Math.sin(t * omega) * b[i]) / Math.sin(omega);
    }
    return out;
  }

  const api = { MersenneTwister, randn, latents, latentForSeed, slerp };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.WganRandom = api;
})(typeof self !== 'undefined' ? self : this);
