/* plan.c — plan creation, atoms, projected potential (particle mesh) and the multislice loop.
 *
 * Potential (infinite projection). For each slice and species, atoms are spread onto the grid
 * with a compact kernel W (cubic B-spline, 4 × 4 pixels), transformed with a real-to-complex
 * FFT, multiplied by F(k)/W_d(k) — the projected scattering factor divided by the discrete
 * transform of the kernel, which undoes the spreading — summed over species and transformed
 * back. The grid sum of the result is exactly N_atoms·F(0), the integral of the
 * parametrised potential. Real FFTs cost half a complex one, so a slice with S species costs
 * (S + 1)/2 complex-FFT equivalents, independent of the number of atoms.
 *
 * With CZ_SIM_POTENTIAL_REALSPACE the slice's potential is instead superposed in real space
 * from tabulated radial profiles (potential_rs.c) and sweep 1 reads it directly.
 *
 * Multislice (Kirkland 2010, eq. 6.92): t = IFFT(A·FFT(exp(iσV))); ψ ← IFFT(P·A·FFT(ψ·t)),
 * P = exp(−iπλk²Δz). Each 2-D FFT is a row pass and a column pass (fft.h); pointwise work is
 * done on each block while it is in cache. Per slice there are four memory sweeps after the
 * potential's own:
 *   1. rows: V(y, kx) → c2r → exp(iσV) → forward row FFT of t (the potential's inverse row pass,
 *      the transmission function and t's first pass in one sweep);
 *   2. columns of t inside the band: gather, forward FFT, ·A/N, backward FFT, scatter;
 *   3. rows: inverse row FFT of t and of the previous slice's ψ, ψ·t, forward row FFT of ψ;
 *   4. columns of ψ inside the band: gather, forward FFT, ·P·A/N, backward FFT, scatter.
 * Columns whose |kx| exceeds the band limit are zero after A or P·A whatever ky is, so their
 * column transforms are skipped (a third of the column work at 2/3 of Nyquist) and they are
 * zeroed in the row pass that follows. All scale factors (1/N, the FFT bias correction) are
 * folded into the A and P·A tables, so no pass exists only to scale. */
#include "plan.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "finite.h"
#include "kernels.h"
#include "params.h"
#include "plan_double.h"
#include "potential_rs.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static const double PI = 3.14159265358979323846;

void cz_sim_opts_default(cz_sim_opts *opts) {
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->energy_ev = 300e3;
    opts->sampling = 0.05;
    opts->slice_thickness = 2.0;
    opts->param = CZ_SIM_KIRKLAND;
    opts->spread = CZ_SIM_SPREAD_BSPLINE;
    opts->antialias_cutoff = 2.0 / 3.0;
    opts->antialias_taper = 0.01;
    opts->max_pixels = (size_t)1 << 26;
    opts->nthreads = 0;
    opts->flags = 0;
    opts->wisdom_path = NULL;
    opts->projection = CZ_SIM_INFINITE;
    opts->potential_method = CZ_SIM_POTENTIAL_REALSPACE;
    opts->precision = CZ_SIM_SINGLE;
}

static size_t fft_friendly(size_t n) {
    for (;; n++) {
        size_t m = n;
        while (m % 2 == 0) m /= 2;
        while (m % 3 == 0) m /= 3;
        while (m % 5 == 0) m /= 5;
        while (m % 7 == 0) m /= 7;
        if (m == 1) return n;
    }
}

static void free_atoms(cz_sim_plan *p) {
    czi_rs_free(p);
    czi_dbl_free_atoms(p);
    free(p->ax);
    free(p->ay);
    free(p->aspec);
    free(p->slice_start);
    free(p->spec_z);
    fftwf_free(p->ftab);
    free(p->az);
    free(p->fin_tab);
    free(p->fin_reach);
    p->az = p->fin_reach = NULL;
    p->fin_tab = NULL;
    p->fin_k = 0;
    p->ax = p->ay = NULL;
    p->aspec = NULL;
    p->slice_start = NULL;
    p->spec_z = NULL;
    p->ftab = NULL;
    p->natoms = p->nspec = 0;
}

void cz_sim_plan_destroy(cz_sim_plan *p) {
    if (!p) return;
    czi_fft_destroy(&p->fft);
    free_atoms(p);
    czi_dbl_destroy(p);
    fftwf_free(p->psi);
    fftwf_free(p->t);
    fftwf_free(p->g);
    fftwf_free(p->w);
    fftwf_free(p->real);
    if (p->prop_last != p->prop) fftwf_free(p->prop_last);
    fftwf_free(p->prop);
    fftwf_free(p->aa);
    fftwf_free(p->cbuf);
    fftwf_free(p->rbuf);
    fftwf_free(p->cwork);
    fftwf_free(p->spec);
    fftwf_free(p->leak);
    free(p->ky);
    free(p);
}

/* Antialias aperture (abTEM's form, as in the reference README): 1 below kc − w, a cosine taper
 * of width w, 0 above kc. */
double czi_antialias(double k, double kc, double w) {
    if (k > kc) return 0.0;
    if (w > 0.0 && k > kc - w) return 0.5 * (1.0 + cos(PI * (k - kc + w) / w));
    return 1.0;
}

/* P·A/N by band column, [ncb][ny]. With a beam tilt θ (azimuth φ) the small-angle propagator
 * gains the phase −2πiΔz(kx tan θx + ky tan θy), θx = θ cos φ, θy = θ sin φ (Kirkland 2010,
 * eq. 6.99, written for the forward transform exp(−2πi k·x)): each slice is a lateral shift of
 * Δz·tan θ along the tilt azimuth, so a feature moves by L·tan θ through a thickness L, which is
 * what a specimen tilted by −θ under an axial beam does to the wave in the small-angle limit. */
void czi_tilt(const cz_sim_plan *p, double *tx, double *ty) {
    double th = p->opts.tilt_mrad * 1e-3, az = p->opts.tilt_azimuth_deg * PI / 180.0;
    *tx = tan(th) * cos(az);
    *ty = tan(th) * sin(az);
}

static void fill_propagator(const cz_sim_plan *p, fftwf_complex *prop, double dz, double inv_n) {
    double w = p->opts.antialias_taper / fmax(p->dx, p->dy), tx, ty;
    czi_tilt(p, &tx, &ty);
    for (size_t u = 0; u < p->ncb; u++) {
        double kx = czi_freq(czi_band_col(p, u), p->nx, p->lx);
        for (size_t j = 0; j < p->ny; j++) {
            double ky = czi_freq(j, p->ny, p->ly), k2 = kx * kx + ky * ky;
            double a = czi_antialias(sqrt(k2), p->kcut, w) * inv_n;
            double s, c;
            czi_sincos(-PI * p->lambda * k2 * dz - 2.0 * PI * dz * (kx * tx + ky * ty), &s, &c);
            float cf = (float)(a * c), sf = (float)(a * s);
            /* The same table multiplies the wave in every slice, so a rounding error in |P| would
             * grow linearly with the number of slices. Among the float neighbours of (a cos,
             * a sin), keep the pair whose modulus is closest to a. */
            if (a > 0) {
                double best = fabs((double)cf * cf + (double)sf * sf - a * a);
                float c0 = cf, s0 = sf;
                for (int dc = -1; dc <= 1; dc++)
                    for (int ds = -1; ds <= 1; ds++) {
                        float ct = dc ? nextafterf(c0, dc * INFINITY) : c0;
                        float st = ds ? nextafterf(s0, ds * INFINITY) : s0;
                        double e = fabs((double)ct * ct + (double)st * st - a * a);
                        if (e < best) best = e, cf = ct, sf = st;
                    }
            }
            prop[u * p->ny + j][0] = cf;
            prop[u * p->ny + j][1] = sf;
        }
    }
}

/* Energy gain of one unnormalised forward + backward 2-D FFT pair, divided by N². Single-
 * precision FFTW is very slightly biased (its codelet constants such as cos(π/4) are rounded
 * to float, so |twiddle| < 1 on average): a round trip loses about 1e-7 of |ψ|², which would
 * add up to 1e-5 over a hundred slices. The multislice divides this measured bias out of the
 * propagator and antialias tables, so that a vacuum propagation conserves |ψ|² to 1e-6. The
 * test wave is a fixed pseudo-random field, so the correction is deterministic. */
static double roundtrip_gain(cz_sim_plan *p) {
    fftwf_complex *a = p->psi, *buf = p->cbuf;
    const czi_fft *f = &p->fft;
    uint64_t r = 0x2545F4914F6CDD1Dull;
    double e0 = 0, e1 = 0;
    for (size_t i = 0; i < p->npix; i++) {
        for (int c = 0; c < 2; c++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            a[i][c] = (float)((double)(r >> 40) / 16777216.0 - 0.5);
        }
        e0 += (double)a[i][0] * a[i][0] + (double)a[i][1] * a[i][1];
    }
    /* The same transforms the multislice uses: row batches and gathered column buffers. */
    for (size_t b = 0; b < czi_batch_nblocks(&f->row_f); b++) czi_batch_c2c(&f->row_f, b, a);
    for (size_t c0 = 0; c0 < p->nx; c0 += CZI_FFT_BLOCK) {
        size_t cols[CZI_FFT_BLOCK], nc = p->nx - c0 < CZI_FFT_BLOCK ? p->nx - c0 : CZI_FFT_BLOCK;
        for (size_t c = 0; c < nc; c++) cols[c] = c0 + c;
        czi_gather(a, p->nx, p->ny, cols, nc, buf, f->ldb);
        czi_colbuf_fwd(f, buf);
        czi_colbuf_bwd(f, buf);
        czi_scatter(a, p->nx, p->ny, cols, nc, buf, f->ldb);
    }
    for (size_t b = 0; b < czi_batch_nblocks(&f->row_b); b++) czi_batch_c2c(&f->row_b, b, a);
    for (size_t i = 0; i < p->npix; i++)
        e1 += (double)a[i][0] * a[i][0] + (double)a[i][1] * a[i][1];
    double n2 = (double)p->npix * (double)p->npix;
    double g = e1 / (e0 * n2);
    /* Only a tiny bias is corrected; anything else would be a bug, not rounding. */
    return (g > 0.9999 && g < 1.0001) ? g : 1.0;
}

cz_status cz_sim_plan_create(const cz_sim_opts *opts_in, const double cell[3][3],
                             cz_sim_plan **out) {
    if (!out) return CZ_SIM_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    cz_sim_opts opts;
    if (opts_in) {
        opts = *opts_in;
    } else {
        cz_sim_opts_default(&opts);
    }
    if (!cell) return CZ_SIM_FAIL(CZ_EINVAL, "cell must not be NULL");
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            if (!isfinite(cell[r][c]))
                return CZ_SIM_FAIL(CZ_EINVAL, "cell[%d][%d] is not finite", r, c);
    double lx = cell[0][0], ly = cell[1][1], lz = cell[2][2];
    if (!(lx > 0) || !(ly > 0) || !(lz > 0))
        return CZ_SIM_FAIL(CZ_EINVAL, "cell lengths must be > 0 (got %g, %g, %g)", lx, ly, lz);
    double off = fabs(cell[0][1]) + fabs(cell[0][2]) + fabs(cell[1][0]) + fabs(cell[1][2]) +
                 fabs(cell[2][0]) + fabs(cell[2][1]);
    if (off > 1e-9 * (lx + ly + lz))
        return CZ_SIM_FAIL(CZ_ENOTSUP,
                           "cell must be orthorhombic and axis-aligned (off-diagonal sum %g Å)",
                           off);
    double lam, sig;
    cz_status st = cz_sim_electron(opts.energy_ev, &lam, &sig);
    if (st) return CZ_SIM_FAIL(st, "energy_ev must be finite and > 0 (got %g)", opts.energy_ev);
    if (!(opts.slice_thickness > 0) || !isfinite(opts.slice_thickness))
        return CZ_SIM_FAIL(CZ_EINVAL, "slice_thickness must be finite and > 0 (got %g)",
                           opts.slice_thickness);
    if (!(opts.antialias_cutoff > 0 && opts.antialias_cutoff <= 1))
        return CZ_SIM_FAIL(CZ_EINVAL, "antialias_cutoff must be in (0, 1] (got %g)",
                           opts.antialias_cutoff);
    if (!(opts.antialias_taper >= 0) || !isfinite(opts.antialias_taper))
        return CZ_SIM_FAIL(CZ_EINVAL, "antialias_taper must be finite and >= 0 (got %g)",
                           opts.antialias_taper);
    if (opts.param != CZ_SIM_KIRKLAND && opts.param != CZ_SIM_LOBATO)
        return CZ_SIM_FAIL(CZ_EINVAL, "unknown parametrisation %d", (int)opts.param);
    if (opts.spread != CZ_SIM_SPREAD_BSPLINE && opts.spread != CZ_SIM_SPREAD_ABTEM)
        return CZ_SIM_FAIL(CZ_EINVAL, "unknown spreading kernel %d", (int)opts.spread);
    if (opts.projection != CZ_SIM_INFINITE && opts.projection != CZ_SIM_FINITE)
        return CZ_SIM_FAIL(CZ_EINVAL, "unknown projection %d", (int)opts.projection);
    if (opts.potential_method != CZ_SIM_POTENTIAL_FOURIER &&
        opts.potential_method != CZ_SIM_POTENTIAL_REALSPACE)
        return CZ_SIM_FAIL(CZ_EINVAL, "unknown potential_method %d", (int)opts.potential_method);
    if (opts.precision != CZ_SIM_SINGLE && opts.precision != CZ_SIM_DOUBLE)
        return CZ_SIM_FAIL(CZ_EINVAL, "unknown precision %d", (int)opts.precision);
    if (opts.nthreads < 0)
        return CZ_SIM_FAIL(CZ_EINVAL, "nthreads must be >= 0 (got %d)", opts.nthreads);
    if (!(opts.tilt_mrad >= 0 && opts.tilt_mrad <= CZ_SIM_TILT_MAX_MRAD))
        return CZ_SIM_FAIL(CZ_EINVAL, "tilt_mrad must be in [0, %g] (got %g)",
                           (double)CZ_SIM_TILT_MAX_MRAD, opts.tilt_mrad);
    if (!isfinite(opts.tilt_azimuth_deg))
        return CZ_SIM_FAIL(CZ_EINVAL, "tilt_azimuth_deg must be finite (got %g)",
                           opts.tilt_azimuth_deg);
    size_t nx = opts.nx, ny = opts.ny;
    if (nx == 0 || ny == 0) {
        if (!(opts.sampling > 0) || !isfinite(opts.sampling))
            return CZ_SIM_FAIL(CZ_EINVAL, "sampling must be finite and > 0 (got %g)",
                               opts.sampling);
        double fx = ceil(lx / opts.sampling - 1e-9), fy = ceil(ly / opts.sampling - 1e-9);
        if (fx > (double)INT_MAX || fy > (double)INT_MAX)
            return CZ_SIM_FAIL(CZ_ERANGE, "grid %g x %g exceeds max_pixels = %zu", fx, fy,
                               opts.max_pixels);
        if (nx == 0) nx = (size_t)fx;
        if (ny == 0) ny = (size_t)fy;
        if (opts.flags & CZ_SIM_FFT_FRIENDLY) {
            nx = fft_friendly(nx);
            ny = fft_friendly(ny);
        }
    }
    if (nx < 2 || ny < 2) return CZ_SIM_FAIL(CZ_EINVAL, "grid must be at least 2 x 2 (got %zu x %zu)", nx, ny);
    if (nx > (size_t)INT_MAX || ny > (size_t)INT_MAX || nx > opts.max_pixels / ny)
        return CZ_SIM_FAIL(CZ_ERANGE, "grid %zu x %zu exceeds max_pixels = %zu", nx, ny,
                           opts.max_pixels);

    cz_sim_plan *p = calloc(1, sizeof *p);
    if (!p) return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory");
    p->opts = opts;
    p->opts.wisdom_path = NULL; /* borrowed pointer: not kept */
    p->nx = nx;
    p->ny = ny;
    p->nxh = nx / 2 + 1;
    p->npix = nx * ny;
    p->nhalf = ny * p->nxh;
    p->lx = lx;
    p->ly = ly;
    p->lz = lz;
    p->dx = lx / (double)nx;
    p->dy = ly / (double)ny;
    p->dz = opts.slice_thickness;
    p->nslices = (size_t)ceil(lz / p->dz - 1e-9);
    if (p->nslices < 1) p->nslices = 1;
    p->dz_last = lz - (double)(p->nslices - 1) * p->dz;
    p->lambda = lam;
    p->sigma = sig;
    p->kcut = opts.antialias_cutoff / (2.0 * fmax(p->dx, p->dy));
    /* abTEM's scheme is a particle mesh: CZ_SIM_SPREAD_ABTEM selects it whatever the method. */
    p->realspace =
        opts.potential_method == CZ_SIM_POTENTIAL_REALSPACE && opts.spread != CZ_SIM_SPREAD_ABTEM;
#ifdef _OPENMP
    p->nthreads = opts.nthreads > 0 ? opts.nthreads : omp_get_max_threads();
#else
    p->nthreads = 1;
#endif
    p->slice_start = calloc(p->nslices + 1, sizeof *p->slice_start);
    p->psi = fftwf_malloc(p->npix * sizeof *p->psi);
    p->t = fftwf_malloc(p->npix * sizeof *p->t);
    p->g = fftwf_malloc(p->nhalf * sizeof *p->g);
    p->w = fftwf_malloc(p->nhalf * sizeof *p->w);
    p->real = fftwf_malloc(p->npix * sizeof *p->real);
    /* Band columns (see plan.h). */
    for (size_t i = 0; i < nx; i++)
        if (fabs(czi_freq(i, nx, lx)) <= p->kcut) {
            p->ncb++;
            if (i < (nx + 1) / 2) p->nlo++;
        }
    size_t nband = p->ncb * ny;
    p->prop = fftwf_malloc(nband * sizeof *p->prop);
    p->aa = fftwf_malloc(nband * sizeof *p->aa);
    p->spec = fftwf_malloc(nband * sizeof *p->spec);
    int thin_last = fabs(p->dz_last - p->dz) > 1e-9 * p->dz;
    p->prop_last = thin_last ? fftwf_malloc(nband * sizeof *p->prop_last) : p->prop;
    size_t ldb = (ny + 7) / 8 * 8; /* the same padding czi_fft_create chooses */
    if ((ldb / 8) % 2 == 0) ldb += 8;
    p->cbuf = fftwf_malloc((size_t)p->nthreads * CZI_FFT_BLOCK * ldb * sizeof *p->cbuf);
    p->rbuf = fftwf_malloc((size_t)p->nthreads * CZI_FFT_BLOCK * nx * sizeof *p->rbuf);
    p->cwork = fftwf_malloc((size_t)p->nthreads * 2 * CZI_FFT_BLOCK * nx * sizeof *p->cwork);
    if (opts.projection == CZ_SIM_FINITE) p->leak = fftwf_malloc(p->npix * sizeof *p->leak);
    p->ky = malloc(ny * sizeof *p->ky);
    if (p->ky)
        for (size_t j = 0; j < ny; j++) p->ky[j] = czi_freq(j, ny, ly);
    if ((opts.projection == CZ_SIM_FINITE && !p->leak) || !p->ky || !p->cwork ||
        !p->slice_start || !p->psi || !p->t || !p->g || !p->w || !p->real || !p->spec ||
        !p->prop || !p->aa || !p->prop_last || !p->cbuf || !p->rbuf) {
        cz_sim_plan_destroy(p);
        return CZ_SIM_FAIL(CZ_ENOMEM, "cannot allocate buffers for a %zu x %zu grid", nx, ny);
    }
    st = czi_fft_create(&p->fft, nx, ny, p->psi, p->real, p->g,
                        !(opts.flags & CZ_SIM_FFTW_ESTIMATE), opts_in ? opts_in->wisdom_path : NULL);
    if (st) {
        p->fft = (czi_fft){0};
        cz_sim_plan_destroy(p);
        return st;
    }
    if (p->fft.ldb != ldb) {
        cz_sim_plan_destroy(p);
        return CZ_SIM_FAIL(CZ_EINTERNAL, "column buffer stride mismatch");
    }
    /* FFTW_MEASURE scribbled on the buffers: initialise them only now. */
    memset(p->real, 0, p->npix * sizeof *p->real);
    double inv_n = 1.0 / ((double)p->npix * sqrt(roundtrip_gain(p)));
    fill_propagator(p, p->prop, p->dz, inv_n);
    if (thin_last) fill_propagator(p, p->prop_last, p->dz_last, inv_n);
    double w = opts.antialias_taper / fmax(p->dx, p->dy);
    for (size_t u = 0; u < p->ncb; u++) {
        double kx = czi_freq(czi_band_col(p, u), nx, lx);
        for (size_t j = 0; j < ny; j++) {
            double ky = czi_freq(j, ny, ly);
            p->aa[u * ny + j] = (float)(czi_antialias(sqrt(kx * kx + ky * ky), p->kcut, w) * inv_n);
        }
    }
    if (opts.precision == CZ_SIM_DOUBLE) {
        st = czi_dbl_create(p);
        if (st) {
            cz_sim_plan_destroy(p);
            return st;
        }
    }
    *out = p;
    return CZ_OK;
}

cz_status cz_sim_plan_info(const cz_sim_plan *p, cz_sim_info *info) {
    if (!p || !info) return CZ_SIM_FAIL(CZ_EINVAL, "plan and info must not be NULL");
    info->nx = p->nx;
    info->ny = p->ny;
    info->nslices = p->nslices;
    info->dx = p->dx;
    info->dy = p->dy;
    info->wavelength = p->lambda;
    info->sigma = p->sigma;
    info->kmax_antialias = p->kcut;
    info->wave_len = 2 * p->npix;
    info->image_len = p->npix;
    return CZ_OK;
}

/* Fourier factor of one species on the half spectrum, by column ([nxh][ny], the layout of a
 * gathered column block): F(k)·(kernel correction)/(N dx dy). The
 * 1/N undoes FFTW's unnormalised forward+backward pair; 1/(dx dy) turns the unit-weight spread
 * (a sampled delta) into a density. */
double czi_species_factor(const cz_sim_plan *p, int z, size_t i, size_t j) {
    double scale = 1.0 / ((double)p->npix * p->dx * p->dy);
    double ky = czi_freq(j, p->ny, p->ly), uy = ky * p->dy;
    double kx = (double)i / p->lx, ux = kx * p->dx;
    double corr;
    if (p->opts.spread == CZ_SIM_SPREAD_BSPLINE) {
        /* Divide by the DFT of the cubic B-spline sampled on the grid, (2 + cos 2πκ)/3 per
         * axis (the smooth particle-mesh Ewald correction, Essmann et al., J. Chem. Phys.
         * 103 (1995) 8577, eq. 4.4). It makes the result exact for atoms on grid points
         * and a cardinal-spline interpolation of exp(−2πi k·r) in between; against the
         * exact structure factor the HRTEM exit wave differs by 2e-3 (abTEM's bilinear
         * scheme: 1.1e-2). */
        corr = 9.0 / ((2.0 + cos(2.0 * PI * ux)) * (2.0 + cos(2.0 * PI * uy)));
    } else {
        /* abTEM 1.0 divides by sin|κ|/|κ| with |κ| = |(kx dx, ky dy)| (no factor π). */
        double kap = sqrt(ux * ux + uy * uy);
        corr = kap > 0.0 ? kap / sin(kap) : 1.0;
    }
    return czi_scatt(z, p->opts.param, kx * kx + ky * ky) * corr * scale;
}

static void fill_species_table(const cz_sim_plan *p, int z, float *tab) {
    for (size_t j = 0; j < p->ny; j++)
        for (size_t i = 0; i < p->nxh; i++)
            tab[i * p->ny + j] = (float)czi_species_factor(p, z, i, j);
}

cz_status cz_sim_set_atoms(cz_sim_plan *p, size_t n, const double xyz[][3], const int z[]) {
    if (!p) return CZ_SIM_FAIL(CZ_EINVAL, "plan must not be NULL");
    free_atoms(p);
    p->slice_start = calloc(p->nslices + 1, sizeof *p->slice_start);
    if (!p->slice_start) return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory");
    if (n == 0) return CZ_OK;
    if (!xyz || !z) return CZ_SIM_FAIL(CZ_EINVAL, "xyz and z must not be NULL when n > 0");
    int refuse = (p->opts.flags & CZ_SIM_REFUSE_OUTSIDE) != 0;
    int spec_of[CZI_PARAM_ZMAX + 1];
    for (int k = 0; k <= CZI_PARAM_ZMAX; k++) spec_of[k] = -1;
    size_t nspec = 0;
    for (size_t a = 0; a < n; a++) {
        const double *r = xyz[a];
        if (!isfinite(r[0]) || !isfinite(r[1]) || !isfinite(r[2]))
            return CZ_SIM_FAIL(CZ_EINVAL, "atom %zu has a non-finite position (%g, %g, %g)", a,
                               r[0], r[1], r[2]);
        if (z[a] < 1 || z[a] > CZI_PARAM_ZMAX)
            return CZ_SIM_FAIL(CZ_EINVAL, "atom %zu: atomic number must be in 1..%d (got %d)", a,
                               CZI_PARAM_ZMAX, z[a]);
        if (refuse && (r[0] < 0 || r[0] >= p->lx || r[1] < 0 || r[1] >= p->ly))
            return CZ_SIM_FAIL(CZ_EINVAL,
                               "atom %zu at (%g, %g) Å lies outside the cell in x or y "
                               "(%g x %g Å) and CZ_SIM_REFUSE_OUTSIDE is set",
                               a, r[0], r[1], p->lx, p->ly);
        if (r[2] < 0 || r[2] > p->lz)
            return CZ_SIM_FAIL(CZ_EINVAL, "atom %zu: z = %g Å lies outside the cell [0, %g]", a,
                               r[2], p->lz);
        if (spec_of[z[a]] < 0) spec_of[z[a]] = (int)nspec++;
    }
    p->ax = malloc(n * sizeof *p->ax);
    p->ay = malloc(n * sizeof *p->ay);
    p->aspec = malloc(n * sizeof *p->aspec);
    p->spec_z = malloc(nspec * sizeof *p->spec_z);
    /* The single-precision particle mesh's tables (the double path has its own). */
    int want_ftab = !p->realspace && !p->dbl;
    if (want_ftab) p->ftab = fftwf_malloc(nspec * p->nhalf * sizeof *p->ftab);
    int finite = p->opts.projection == CZ_SIM_FINITE;
    if (finite) {
        p->az = malloc(n * sizeof *p->az);
        p->fin_tab = malloc(nspec * (CZI_FIN_NH + 1) * (CZI_FIN_NR + 1) * sizeof *p->fin_tab);
        p->fin_reach = malloc(nspec * sizeof *p->fin_reach);
    }
    size_t nkey = p->nslices * nspec;
    size_t *count = calloc(nkey + 1, sizeof *count);
    size_t *key = malloc(n * sizeof *key);
    if (!p->ax || !p->ay || !p->aspec || !p->spec_z || (want_ftab && !p->ftab) || !count || !key ||
        (finite && (!p->az || !p->fin_tab || !p->fin_reach))) {
        free(count);
        free(key);
        free_atoms(p);
        p->slice_start = calloc(p->nslices + 1, sizeof *p->slice_start);
        return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory for %zu atoms", n);
    }
    /* Species are numbered by increasing Z so that the summation order, and so the bits of the
     * potential, do not depend on the order of the input. */
    nspec = 0;
    for (int k = 1; k <= CZI_PARAM_ZMAX; k++)
        if (spec_of[k] >= 0) {
            spec_of[k] = (int)nspec;
            p->spec_z[nspec++] = k;
        }
    for (size_t a = 0; a < n; a++) {
        size_t s = (size_t)floor(xyz[a][2] / p->dz);
        if (s >= p->nslices) s = p->nslices - 1;
        key[a] = s * nspec + (size_t)spec_of[z[a]];
        count[key[a] + 1]++;
    }
    for (size_t k = 0; k < nkey; k++) count[k + 1] += count[k];
    for (size_t s = 0; s <= p->nslices; s++) p->slice_start[s] = count[s * nspec];
    for (size_t a = 0; a < n; a++) {
        size_t d = count[key[a]]++;
        /* Wrap x and y into [0, L) and convert to pixel units. */
        double x = xyz[a][0] - floor(xyz[a][0] / p->lx) * p->lx;
        double y = xyz[a][1] - floor(xyz[a][1] / p->ly) * p->ly;
        double u = x / p->dx, v = y / p->dy;
        if (u >= (double)p->nx) u -= (double)p->nx;
        if (v >= (double)p->ny) v -= (double)p->ny;
        p->ax[d] = u;
        p->ay[d] = v;
        if (finite) p->az[d] = xyz[a][2];
        p->aspec[d] = (unsigned)spec_of[z[a]];
    }
    free(count);
    free(key);
    p->natoms = n;
    p->nspec = nspec;
    cz_status st = CZ_OK;
    if (p->realspace) st = czi_rs_prepare(p, p->dbl != NULL);
    if (!st && p->dbl) st = czi_dbl_set_atoms(p);
    if (st) {
        free_atoms(p);
        p->slice_start = calloc(p->nslices + 1, sizeof *p->slice_start);
        return st;
    }
    if (want_ftab)
        for (size_t s = 0; s < nspec; s++)
            fill_species_table(p, p->spec_z[s], p->ftab + s * p->nhalf);
    if (finite) {
        for (size_t s = 0; s < nspec; s++) {
            p->fin_reach[s] = czi_fin_reach(p->spec_z[s], p->opts.param);
            czi_fin_table(p->spec_z[s], p->opts.param, p->fin_reach[s],
                          p->fin_tab + s * (CZI_FIN_NH + 1) * (CZI_FIN_NR + 1));
            size_t k = (size_t)ceil(p->fin_reach[s] / p->dz);
            if (k > p->fin_k) p->fin_k = k;
        }
    }
    return CZ_OK;
}

int czi_spread_weights(const cz_sim_plan *p, size_t a, size_t col[4], size_t row[4], double wu[4],
                       double wv[4]) {
    size_t nx = p->nx, ny = p->ny;
    double u = p->ax[a], v = p->ay[a];
    double fu = floor(u), fv = floor(v);
    double tu = u - fu, tv = v - fv;
    size_t iu = (size_t)fu, iv = (size_t)fv;
    if (p->opts.spread == CZ_SIM_SPREAD_BSPLINE) {
        /* Cubic B-spline weights at pixels floor(u) − 1 … floor(u) + 2. */
        double su = 1 - tu, sv = 1 - tv;
        wu[0] = su * su * su / 6;
        wu[1] = (3 * tu * tu * tu - 6 * tu * tu + 4) / 6;
        wu[2] = (-3 * tu * tu * tu + 3 * tu * tu + 3 * tu + 1) / 6;
        wu[3] = tu * tu * tu / 6;
        wv[0] = sv * sv * sv / 6;
        wv[1] = (3 * tv * tv * tv - 6 * tv * tv + 4) / 6;
        wv[2] = (-3 * tv * tv * tv + 3 * tv * tv + 3 * tv + 1) / 6;
        wv[3] = tv * tv * tv / 6;
        for (int b = 0; b < 4; b++) {
            row[b] = (iv + ny - 1 + (size_t)b) % ny;
            col[b] = (iu + nx - 1 + (size_t)b) % nx;
        }
        return 4;
    }
    wu[0] = 1 - tu, wu[1] = tu, wv[0] = 1 - tv, wv[1] = tv;
    for (int b = 0; b < 2; b++) {
        row[b] = (iv + (size_t)b) % ny;
        col[b] = (iu + (size_t)b) % nx;
    }
    return 2;
}

/* Add (add = 1) or clear (add = 0) the spreading weights of atoms [a0, a1) in p->real. */
static void spread(cz_sim_plan *p, size_t a0, size_t a1, int add) {
    size_t nx = p->nx;
    float *g = p->real;
    for (size_t a = a0; a < a1; a++) {
        size_t col[4], row[4];
        double wu[4], wv[4];
        int k = czi_spread_weights(p, a, col, row, wu, wv);
        for (int b = 0; b < k; b++)
            for (int c = 0; c < k; c++) {
                if (add)
                    g[row[b] * nx + col[c]] += (float)(wu[c] * wv[b]);
                else
                    g[row[b] * nx + col[c]] = 0.0f;
            }
    }
}

/* Spectrum of the projected potential of slice s, V(y, kx) (rows transformed back, columns
 * not), into p->g; returns 0 (g untouched) for an empty slice. Per species: spread, forward
 * real-to-complex row pass, then a column pass that multiplies by the species table; species
 * are summed by column in p->w, and the last one's column block is transformed back and
 * scattered to g. */
static int slice_potential_spectrum(cz_sim_plan *p, size_t s) {
    size_t a1 = p->slice_start[s + 1];
    size_t a = p->slice_start[s];
    if (a == a1) return 0;
    const czi_fft *f = &p->fft;
    size_t nxh = p->nxh, ny = p->ny, ldb = f->ldb, cbl = czi_colbuf_len(f);
    int nt = p->nthreads, first = 1;
    while (a < a1) {
        unsigned sp = p->aspec[a];
        size_t e = a;
        while (e < a1 && p->aspec[e] == sp) e++;
        int last = e == a1;
        spread(p, a, e, 1);
        size_t nb = czi_batch_nblocks(&f->rrow_f);
        CZI_OMP_FOR(nt)
        for (size_t b = 0; b < nb; b++) czi_batch_r2c(&f->rrow_f, b, p->real, p->g);
        spread(p, a, e, 0);
        const float *tab = p->ftab + (size_t)sp * p->nhalf;
        fftwf_complex *g = p->g, *w = p->w, *cbuf = p->cbuf;
        nb = (nxh + CZI_FFT_BLOCK - 1) / CZI_FFT_BLOCK;
        CZI_OMP_FOR(nt)
        for (size_t b = 0; b < nb; b++) {
            fftwf_complex *buf = cbuf + (size_t)czi_tid() * cbl;
            size_t cols[CZI_FFT_BLOCK], c0 = b * CZI_FFT_BLOCK;
            size_t nc = nxh - c0 < CZI_FFT_BLOCK ? nxh - c0 : CZI_FFT_BLOCK;
            for (size_t c = 0; c < nc; c++) cols[c] = c0 + c;
            czi_gather(g, nxh, ny, cols, nc, buf, ldb);
            czi_colbuf_fwd(f, buf);
            for (size_t c = 0; c < nc; c++) {
                float *x = (float *)(buf + c * ldb), *acc = (float *)(w + (c0 + c) * ny);
                const float *tc = tab + (c0 + c) * ny;
                if (first && last)
                    czi_k_rmul(x, tc, ny);
                else if (first)
                    czi_k_rmul_set(acc, x, tc, ny);
                else if (!last)
                    czi_k_rmul_add(acc, x, tc, ny);
                else
                    czi_k_rmul_plus(x, tc, acc, ny);
            }
            if (last) {
                czi_colbuf_bwd(f, buf);
                czi_scatter(g, nxh, ny, cols, nc, buf, ldb);
            }
        }
        first = 0;
        a = e;
    }
    return 1;
}

/* The potential of a block of rows (m values) in real space: the particle mesh's inverse row
 * FFT of g (has_pm), or the real-space superposition `rs` (its rows), or 0; plus the finite-
 * projection leak when given. Returns rb or rs (rb is the per-thread buffer). */
static const float *slice_rows(const czi_batch *c2r, size_t b, fftwf_complex *g, int has_pm,
                               const float *rs, const float *leak, float *rb, size_t m) {
    const float *vr = rb;
    if (has_pm)
        czi_batch_c2r_rows(c2r, b, g, rb);
    else if (rs)
        vr = rs;
    else
        memset(rb, 0, m * sizeof *rb);
    if (leak) {
        for (size_t i = 0; i < m; i++) rb[i] = vr[i] + leak[i];
        vr = rb;
    }
    return vr;
}

cz_status cz_sim_potential(cz_sim_plan *p, size_t slice, double v[], size_t len) {
    if (!p || !v) return CZ_SIM_FAIL(CZ_EINVAL, "plan and v must not be NULL");
    if (slice >= p->nslices)
        return CZ_SIM_FAIL(CZ_EINVAL, "slice %zu out of range (nslices = %zu)", slice, p->nslices);
    if (len < p->npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "buffer holds %zu values, %zu needed", len, p->npix);
    if (p->dbl) {
        if (!czi_dbl_potential(p, slice, v)) memset(v, 0, p->npix * sizeof *v);
        return CZ_OK;
    }
    int has_rs = p->realspace && czi_rs_slice(p, slice, p->real);
    int has_pm = !p->realspace && slice_potential_spectrum(p, slice);
    int has_leak = p->leak && czi_fin_leak(p, slice);
    if (!has_pm && !has_rs && !has_leak) {
        memset(v, 0, p->npix * sizeof *v);
        return CZ_OK;
    }
    const czi_fft *f = &p->fft;
    size_t nx = p->nx, ny = p->ny, nb = czi_batch_nblocks(&f->rrow_b);
    float *rbuf = p->rbuf, *leak = p->leak, *real = p->real;
    fftwf_complex *g = p->g;
    CZI_OMP_FOR(p->nthreads)
    for (size_t b = 0; b < nb; b++) {
        float *rb = rbuf + (size_t)czi_tid() * CZI_FFT_BLOCK * nx;
        size_t r0 = b * CZI_FFT_BLOCK, r1 = r0 + CZI_FFT_BLOCK < ny ? r0 + CZI_FFT_BLOCK : ny;
        const float *vr = slice_rows(&f->rrow_b, b, g, has_pm, has_rs ? real + r0 * nx : NULL,
                                     has_leak ? leak + r0 * nx : NULL, rb, (r1 - r0) * nx);
        for (size_t i = 0; i < (r1 - r0) * nx; i++) v[r0 * nx + i] = vr[i];
    }
    return CZ_OK;
}

/* Band-compressed rows. In the (y, kx) state between a row pass and a column pass only the
 * band columns matter (the others are zero after A or P·A and are never column-transformed), so
 * t and ψ are stored there as [ny][ncb]: band column u of row r at r·ncb + u. Row passes expand
 * a block of rows into a per-thread full-width buffer (zeros outside the band), transform it and
 * compress it back; this moves a third fewer bytes than full rows and needs no zeroing pass. */
static void expand_rows(const cz_sim_plan *p, fftwf_complex *xc, fftwf_complex *full,
                        size_t nrows) {
    size_t nx = p->nx, ncb = p->ncb, nlo = p->nlo, nhi = ncb - nlo;
    for (size_t r = 0; r < nrows; r++) {
        fftwf_complex *src = xc + r * ncb;
        fftwf_complex *dst = full + r * nx;
        memcpy(dst, src, nlo * sizeof *dst);
        memset(dst + nlo, 0, (nx - ncb) * sizeof *dst);
        memcpy(dst + nx - nhi, src + nlo, nhi * sizeof *dst);
    }
}

static void compress_rows(const cz_sim_plan *p, fftwf_complex *full, fftwf_complex *xc,
                          size_t nrows) {
    size_t nx = p->nx, ncb = p->ncb, nlo = p->nlo, nhi = ncb - nlo;
    for (size_t r = 0; r < nrows; r++) {
        fftwf_complex *src = full + r * nx;
        fftwf_complex *dst = xc + r * ncb;
        memcpy(dst, src, nlo * sizeof *dst);
        memcpy(dst + nlo, src + nx - nhi, nhi * sizeof *dst);
    }
}

/* Column pass over a band-compressed array xc ([ny][ncb]): gather, forward FFT, multiply by a
 * complex table (ctab) or a real one (rtab), optionally copy the product into p->spec, backward
 * FFT, scatter. */
static void band_column_pass(cz_sim_plan *p, fftwf_complex *xc, fftwf_complex *ctab,
                             const float *rtab, int capture) {
    const czi_fft *f = &p->fft;
    size_t ny = p->ny, ldb = f->ldb, cbl = czi_colbuf_len(f), ncb = p->ncb;
    size_t nb = (ncb + CZI_FFT_BLOCK - 1) / CZI_FFT_BLOCK;
    fftwf_complex *cbuf = p->cbuf, *spec = p->spec;
    CZI_OMP_FOR(p->nthreads)
    for (size_t b = 0; b < nb; b++) {
        fftwf_complex *buf = cbuf + (size_t)czi_tid() * cbl;
        size_t cols[CZI_FFT_BLOCK], u0 = b * CZI_FFT_BLOCK;
        size_t nc = ncb - u0 < CZI_FFT_BLOCK ? ncb - u0 : CZI_FFT_BLOCK;
        for (size_t c = 0; c < nc; c++) cols[c] = u0 + c;
        czi_gather(xc, ncb, ny, cols, nc, buf, ldb);
        czi_colbuf_fwd(f, buf);
        for (size_t c = 0; c < nc; c++) {
            fftwf_complex *y = buf + c * ldb;
            if (ctab)
                czi_k_cmul((float *)y, (const float *)(ctab + (u0 + c) * ny), ny);
            else
                czi_k_rmul((float *)y, rtab + (u0 + c) * ny, ny);
            if (capture) memcpy(spec + (u0 + c) * ny, y, ny * sizeof *y);
        }
        czi_colbuf_bwd(f, buf);
        czi_scatter(xc, ncb, ny, cols, nc, buf, ldb);
    }
}

/* The slice loop. The wave comes from `in` (real space, [ny][nx] interleaved complex) or, when
 * in is NULL, is the unit plane wave; the exit wave goes to `out` (may equal in). p->psi and p->t
 * hold ψ and t band-compressed. With capture, the spectrum of the exit wave is left in p->spec
 * for cz_sim_image. count must be > 0. */
static void multislice(cz_sim_plan *p, size_t first, size_t count, const float *in, float *out,
                       int capture) {
    const czi_fft *f = &p->fft;
    size_t nx = p->nx, ny = p->ny, ncb = p->ncb;
    int nt = p->nthreads;
    size_t nrow = czi_batch_nblocks(&f->row_f), rbl = CZI_FFT_BLOCK * nx;
    fftwf_complex *psi = p->psi, *t = p->t, *g = p->g, *cw = p->cwork;
    float *rbuf = p->rbuf;
    float sigma = (float)p->sigma;
    for (size_t s = first; s < first + count; s++) {
        int has_rs = p->realspace && czi_rs_slice(p, s, p->real);
        int has_pm = !p->realspace && slice_potential_spectrum(p, s);
        int has_leak = p->leak && czi_fin_leak(p, s);
        int has = has_pm || has_rs || has_leak;
        float *leak = p->leak, *real = p->real;
        if (has) {
            /* Sweep 1: V rows (c2r), t = exp(iσV), forward row FFT of t, band columns kept. */
            CZI_OMP_FOR(nt)
            for (size_t b = 0; b < nrow; b++) {
                float *rb = rbuf + (size_t)czi_tid() * rbl;
                fftwf_complex *tb = cw + (size_t)czi_tid() * 2 * rbl;
                size_t r0 = b * CZI_FFT_BLOCK;
                size_t r1 = r0 + CZI_FFT_BLOCK < ny ? r0 + CZI_FFT_BLOCK : ny;
                const float *vr =
                    slice_rows(&f->rrow_b, b, g, has_pm, has_rs ? real + r0 * nx : NULL,
                               has_leak ? leak + r0 * nx : NULL, rb, (r1 - r0) * nx);
                czi_k_transmission(vr, (float *)tb, (r1 - r0) * nx, sigma);
                czi_batch_c2c_rows(&f->row_f, b, tb);
                compress_rows(p, tb, t + r0 * ncb, r1 - r0);
            }
            /* Sweep 2: band-limit t with A (1/N included). */
            band_column_pass(p, t, NULL, p->aa, 0);
        }
        /* Sweep 3: finish the previous slice's propagation (or read the incident wave),
         * transmit, start this slice's propagation. */
        int start = s == first;
        CZI_OMP_FOR(nt)
        for (size_t b = 0; b < nrow; b++) {
            fftwf_complex *pb = cw + (size_t)czi_tid() * 2 * rbl, *tb = pb + rbl;
            size_t r0 = b * CZI_FFT_BLOCK, r1 = r0 + CZI_FFT_BLOCK < ny ? r0 + CZI_FFT_BLOCK : ny;
            size_t nr = r1 - r0;
            if (!start) {
                expand_rows(p, psi + r0 * ncb, pb, nr);
                czi_batch_c2c_rows(&f->row_b, b, pb);
            } else if (in) {
                memcpy(pb, in + 2 * r0 * nx, nr * nx * sizeof *pb);
            } else {
                for (size_t i = 0; i < nr * nx; i++) pb[i][0] = 1.0f, pb[i][1] = 0.0f;
            }
            if (has) {
                expand_rows(p, t + r0 * ncb, tb, nr);
                czi_batch_c2c_rows(&f->row_b, b, tb);
                czi_k_cmul((float *)pb, (const float *)tb, nr * nx);
            }
            czi_batch_c2c_rows(&f->row_f, b, pb);
            compress_rows(p, pb, psi + r0 * ncb, nr);
        }
        /* Sweep 4: propagate. */
        band_column_pass(p, psi, (s == p->nslices - 1) ? p->prop_last : p->prop, NULL,
                         capture && s == first + count - 1);
    }
    CZI_OMP_FOR(nt)
    for (size_t b = 0; b < nrow; b++) {
        fftwf_complex *pb = cw + (size_t)czi_tid() * 2 * rbl;
        size_t r0 = b * CZI_FFT_BLOCK, r1 = r0 + CZI_FFT_BLOCK < ny ? r0 + CZI_FFT_BLOCK : ny;
        expand_rows(p, psi + r0 * ncb, pb, r1 - r0);
        czi_batch_c2c_rows(&f->row_b, b, pb);
        memcpy(out + 2 * r0 * nx, pb, (r1 - r0) * nx * sizeof *pb);
    }
    p->spec_valid = capture;
}

void czi_wave_spectrum(cz_sim_plan *p, const float *wave) {
    const czi_fft *f = &p->fft;
    size_t nx = p->nx, ny = p->ny, ldb = f->ldb, cbl = czi_colbuf_len(f), ncb = p->ncb;
    size_t nrow = czi_batch_nblocks(&f->row_f);
    fftwf_complex *psi = p->psi, *cbuf = p->cbuf, *spec = p->spec;
    CZI_OMP_FOR(p->nthreads)
    for (size_t b = 0; b < nrow; b++) {
        size_t r0 = b * CZI_FFT_BLOCK, r1 = r0 + CZI_FFT_BLOCK < ny ? r0 + CZI_FFT_BLOCK : ny;
        memcpy(psi + r0 * nx, wave + 2 * r0 * nx, (r1 - r0) * nx * sizeof *psi);
        czi_batch_c2c(&f->row_f, b, psi);
    }
    float inv_n = (float)(1.0 / (double)p->npix);
    size_t nb = (ncb + CZI_FFT_BLOCK - 1) / CZI_FFT_BLOCK;
    CZI_OMP_FOR(p->nthreads)
    for (size_t b = 0; b < nb; b++) {
        fftwf_complex *buf = cbuf + (size_t)czi_tid() * cbl;
        size_t cols[CZI_FFT_BLOCK], u0 = b * CZI_FFT_BLOCK;
        size_t nc = ncb - u0 < CZI_FFT_BLOCK ? ncb - u0 : CZI_FFT_BLOCK;
        for (size_t c = 0; c < nc; c++) cols[c] = czi_band_col(p, u0 + c);
        czi_gather(psi, nx, ny, cols, nc, buf, ldb);
        czi_colbuf_fwd(f, buf);
        for (size_t c = 0; c < nc; c++) {
            fftwf_complex *y = buf + c * ldb, *d = spec + (u0 + c) * ny;
            for (size_t j = 0; j < ny; j++) d[j][0] = y[j][0] * inv_n, d[j][1] = y[j][1] * inv_n;
        }
    }
    p->spec_valid = 1;
}

/* The first slice cz_sim_run must apply: vacuum slices ahead of the first atom leave the
 * incident plane wave unchanged (P(0) = A(0) = 1, also with a tilt, whose phase vanishes at
 * k = 0); with finite projection an atom's potential reaches fin_k slices up. Returns nslices
 * when every slice is vacuum. */
static size_t first_slice(const cz_sim_plan *p) {
    size_t s0 = 0;
    while (s0 < p->nslices && p->slice_start[s0 + 1] == p->slice_start[s0]) s0++;
    if (s0 < p->nslices) s0 = s0 >= p->fin_k ? s0 - p->fin_k : 0;
    return s0;
}

/* The all-vacuum exit wave's spectrum/N: 1 at k = 0. */
static void vacuum_spectrum(cz_sim_plan *p) {
    memset(p->spec, 0, p->ncb * p->ny * sizeof *p->spec);
    p->spec[0][0] = 1.0f;
    p->spec_valid = 1;
}

cz_status cz_sim_propagate(cz_sim_plan *p, size_t first, size_t count, float wave[], size_t len) {
    if (!p || !wave) return CZ_SIM_FAIL(CZ_EINVAL, "plan and wave must not be NULL");
    if (first > p->nslices || count > p->nslices - first)
        return CZ_SIM_FAIL(CZ_EINVAL, "slices [%zu, %zu) out of range (nslices = %zu)", first,
                           first + count, p->nslices);
    if (len < 2 * p->npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "wave holds %zu floats, %zu needed", len, 2 * p->npix);
    if (count == 0) {
        p->spec_valid = 0;
        return CZ_OK;
    }
    if (p->dbl)
        czi_dbl_run(p, first, count, wave, NULL, wave, NULL, 1);
    else
        multislice(p, first, count, wave, wave, 1);
    return CZ_OK;
}

cz_status cz_sim_run(cz_sim_plan *p, float wave[], size_t len) {
    if (!p || !wave) return CZ_SIM_FAIL(CZ_EINVAL, "plan and wave must not be NULL");
    if (len < 2 * p->npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "wave holds %zu floats, %zu needed", len, 2 * p->npix);
    size_t s0 = first_slice(p);
    if (s0 == p->nslices) {
        for (size_t i = 0; i < p->npix; i++) wave[2 * i] = 1.0f, wave[2 * i + 1] = 0.0f;
        vacuum_spectrum(p);
    } else if (p->dbl) {
        czi_dbl_run(p, s0, p->nslices - s0, NULL, NULL, wave, NULL, 1);
    } else {
        multislice(p, s0, p->nslices - s0, NULL, wave, 1);
    }
    return CZ_OK;
}

cz_status cz_sim_propagate_double(cz_sim_plan *p, size_t first, size_t count, double wave[],
                                  size_t len) {
    if (!p || !wave) return CZ_SIM_FAIL(CZ_EINVAL, "plan and wave must not be NULL");
    if (!p->dbl)
        return CZ_SIM_FAIL(CZ_EINVAL,
                           "the plan was made with precision = CZ_SIM_SINGLE; "
                           "use cz_sim_propagate or precision = CZ_SIM_DOUBLE");
    if (first > p->nslices || count > p->nslices - first)
        return CZ_SIM_FAIL(CZ_EINVAL, "slices [%zu, %zu) out of range (nslices = %zu)", first,
                           first + count, p->nslices);
    if (len < 2 * p->npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "wave holds %zu doubles, %zu needed", len, 2 * p->npix);
    if (count == 0) {
        p->spec_valid = 0;
        return CZ_OK;
    }
    czi_dbl_run(p, first, count, NULL, wave, NULL, wave, 1);
    return CZ_OK;
}

cz_status cz_sim_run_double(cz_sim_plan *p, double wave[], size_t len) {
    if (!p || !wave) return CZ_SIM_FAIL(CZ_EINVAL, "plan and wave must not be NULL");
    if (!p->dbl)
        return CZ_SIM_FAIL(CZ_EINVAL,
                           "the plan was made with precision = CZ_SIM_SINGLE; "
                           "use cz_sim_run or precision = CZ_SIM_DOUBLE");
    if (len < 2 * p->npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "wave holds %zu doubles, %zu needed", len, 2 * p->npix);
    size_t s0 = first_slice(p);
    if (s0 == p->nslices) {
        for (size_t i = 0; i < p->npix; i++) wave[2 * i] = 1.0, wave[2 * i + 1] = 0.0;
        vacuum_spectrum(p);
    } else {
        czi_dbl_run(p, s0, p->nslices - s0, NULL, NULL, NULL, wave, 1);
    }
    return CZ_OK;
}
