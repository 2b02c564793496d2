/* test_sim_imaging.c — CTF imaging from a stored exit wave: weak-phase sign test (Scherzer,
 * Cs > 0 dark columns, Cs < 0 bright), perfect lens, vacuum, envelopes, errors. */
#include "cz/cz_sim.h"
#include "cz_test.h"

int main(void) {
    /* A weak phase object: a column of two C atoms at the centre of a 12.8 Å cell. */
    cz_sim_opts o;
    cz_sim_opts_default(&o);
    o.nx = o.ny = 256;
    o.flags = CZ_SIM_FFTW_ESTIMATE;
    o.wisdom_path = "";
    double cell[3][3] = {{12.8, 0, 0}, {0, 12.8, 0}, {0, 0, 4.0}};
    cz_sim_plan *p;
    CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &p) == CZ_OK, "%s", cz_sim_last_error());
    double xyz[2][3] = {{6.4, 6.4, 1.0}, {6.4, 6.4, 3.0}};
    int z[2] = {6, 6};
    cz_sim_set_atoms(p, 2, CZ_CROWS(xyz), z);
    cz_sim_info info;
    cz_sim_plan_info(p, &info);
    float *w = malloc(info.wave_len * sizeof *w), *vac = malloc(info.wave_len * sizeof *vac);
    double *img = malloc(info.image_len * sizeof *img);
    CZ_CHECK(cz_sim_run(p, w, info.wave_len) == CZ_OK, "run");
    size_t centre = 128 * 256 + 128;

    /* Perfect lens: the image is |ψ|². */
    CZ_CHECK(cz_sim_image(p, NULL, w, info.wave_len, img, info.image_len) == CZ_OK, "%s",
             cz_sim_last_error());
    double maxd = 0;
    for (size_t i = 0; i < info.image_len; i++)
        maxd = fmax(maxd, fabs(img[i] - ((double)w[2 * i] * w[2 * i] + (double)w[2 * i + 1] * w[2 * i + 1])));
    CZ_CHECK(maxd < 1e-5, "perfect lens differs from |psi|^2 by %g", maxd);

    /* Sign test. Scherzer conditions for Cs = ±1.2 mm with an aperture at the Scherzer limit
     * (6λ/Cs)^(1/4) ≈ 10 mrad. */
    double mean_img = 0, contrast[2];
    for (int sgn = 0; sgn < 2; sgn++) {
        double cs = sgn ? -1.2e7 : 1.2e7, df;
        cz_sim_scherzer_defocus(300e3, cs, &df);
        cz_sim_ctf ctf;
        cz_sim_ctf_default(&ctf);
        ctf.c[1][0] = -df; /* defocus = −C10 */
        ctf.c[3][0] = cs;
        ctf.aperture_mrad = 10.0;
        CZ_CHECK(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len) == CZ_OK, "%s",
                 cz_sim_last_error());
        mean_img = 0;
        for (size_t i = 0; i < info.image_len; i++) mean_img += img[i];
        mean_img /= (double)info.image_len;
        contrast[sgn] = img[centre] - mean_img;
    }
    CZ_CHECK(contrast[0] < -0.01, "Cs > 0 at Scherzer: column must be dark (I - <I> = %g)", contrast[0]);
    CZ_CHECK(contrast[1] > 0.01, "Cs < 0 at Scherzer: column must be bright (I - <I> = %g)", contrast[1]);
    printf("info: column contrast at Scherzer: Cs>0 %+.4f, Cs<0 %+.4f\n", contrast[0], contrast[1]);

    /* Envelopes only damp: the contrast at the column shrinks with focal spread and convergence. */
    {
        double df;
        cz_sim_scherzer_defocus(300e3, 1.2e7, &df);
        cz_sim_ctf ctf;
        cz_sim_ctf_default(&ctf);
        ctf.c[1][0] = -df;
        ctf.c[3][0] = 1.2e7;
        ctf.aperture_mrad = 10.0;
        ctf.focal_spread = 40.0;
        ctf.convergence_mrad = 0.5;
        cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len);
        double m = 0;
        for (size_t i = 0; i < info.image_len; i++) m += img[i];
        m /= (double)info.image_len;
        double c = img[centre] - m;
        CZ_CHECK(c < 0 && fabs(c) < fabs(contrast[0]), "damped contrast %g vs %g", c, contrast[0]);
        /* A soft aperture edge is accepted and gives a finite image. */
        ctf.aperture_taper_mrad = 1.0;
        CZ_CHECK(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len) == CZ_OK, "soft");
        int finite = 1;
        for (size_t i = 0; i < info.image_len; i++) finite &= isfinite(img[i]) && img[i] >= 0;
        CZ_CHECK(finite, "finite, non-negative image");
        /* All 14 aberrations at once (high-entropy values) give a finite image. */
        cz_sim_ctf all;
        cz_sim_ctf_default(&all);
        const int nm[14][2] = {{1, 0}, {1, 2}, {2, 1}, {2, 3}, {3, 0}, {3, 2}, {3, 4},
                               {4, 1}, {4, 3}, {4, 5}, {5, 0}, {5, 2}, {5, 4}, {5, 6}};
        for (int k = 0; k < 14; k++) {
            all.c[nm[k][0]][nm[k][1]] = 13.7 * pow(731.0, nm[k][0] - 1) * (k % 2 ? -1 : 1);
            all.phi_deg[nm[k][0]][nm[k][1]] = 17.3 * k;
        }
        CZ_CHECK(cz_sim_image(p, &all, w, info.wave_len, img, info.image_len) == CZ_OK, "%s",
                 cz_sim_last_error());
        finite = 1;
        for (size_t i = 0; i < info.image_len; i++) finite &= isfinite(img[i]) && img[i] >= 0;
        CZ_CHECK(finite, "finite image with all aberrations");
    }

    /* Vacuum: any aberration leaves a plane wave at intensity 1. */
    for (size_t i = 0; i < info.image_len; i++) vac[2 * i] = 1.0f, vac[2 * i + 1] = 0.0f;
    {
        cz_sim_ctf ctf;
        cz_sim_ctf_default(&ctf);
        ctf.c[1][0] = 123.4;
        ctf.c[3][0] = 2.2e7;
        ctf.c[2][3] = 5e3;
        ctf.phi_deg[2][3] = 33;
        ctf.aperture_mrad = 21.0;
        cz_sim_image(p, &ctf, vac, info.wave_len, img, info.image_len);
        maxd = 0;
        for (size_t i = 0; i < info.image_len; i++) maxd = fmax(maxd, fabs(img[i] - 1.0));
        CZ_CHECK(maxd < 1e-5, "vacuum image deviates by %g", maxd);
    }

    /* Errors. */
    {
        cz_sim_ctf ctf;
        cz_sim_ctf_default(&ctf);
        ctf.c[2][0] = 10.0; /* n + m even: not an aberration */
        CZ_CHECK_FAILS(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), CZ_EINVAL, "C20");
        cz_sim_ctf_default(&ctf);
        ctf.c[1][4] = 10.0; /* m > n + 1 */
        CZ_CHECK_FAILS(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), CZ_EINVAL, "C14");
        cz_sim_ctf_default(&ctf);
        ctf.c[3][0] = NAN;
        CZ_CHECK_FAILS(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), CZ_EINVAL, "not finite");
        cz_sim_ctf_default(&ctf);
        ctf.aperture_mrad = -1;
        CZ_CHECK_FAILS(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), CZ_EINVAL, "aperture_mrad");
        cz_sim_ctf_default(&ctf);
        ctf.focal_spread = -1;
        CZ_CHECK_FAILS(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), CZ_EINVAL, "focal_spread");
        cz_sim_ctf_default(&ctf);
        ctf.convergence_mrad = NAN;
        CZ_CHECK_FAILS(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), CZ_EINVAL, "convergence_mrad");
        CZ_CHECK_FAILS(cz_sim_image(p, NULL, w, info.wave_len - 2, img, info.image_len), CZ_ERANGE, "wave holds");
        CZ_CHECK_FAILS(cz_sim_image(p, NULL, w, info.wave_len, img, 17), CZ_ERANGE, "img holds");
        CZ_CHECK_FAILS(cz_sim_image(p, NULL, w, info.wave_len, NULL, info.image_len), CZ_EINVAL, "NULL");
        CZ_CHECK_FAILS(cz_sim_image(NULL, NULL, w, info.wave_len, img, info.image_len), CZ_EINVAL, "NULL");
    }

    /* The cached spectrum: wave = NULL images the plan's last exit wave. After cz_sim_run it is
     * the run's own spectrum (taken before the last inverse FFT), so it agrees with imaging the
     * returned float wave to float rounding; after an image of an explicit wave it is that
     * wave's spectrum, bit for bit. A fresh plan holds none. */
    {
        cz_sim_ctf ctf;
        cz_sim_ctf_default(&ctf);
        ctf.c[1][0] = -312.7;
        ctf.c[3][0] = 0.87e7;
        ctf.c[1][2] = 21.3;
        ctf.phi_deg[1][2] = 41.0;
        ctf.aperture_mrad = 23.0;
        double *img2 = malloc(info.image_len * sizeof *img2);
        cz_sim_run(p, w, info.wave_len);
        CZ_CHECK(cz_sim_image(p, &ctf, NULL, 0, img2, info.image_len) == CZ_OK, "%s",
                 cz_sim_last_error());
        cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len);
        double d = 0;
        for (size_t i = 0; i < info.image_len; i++) d = fmax(d, fabs(img[i] - img2[i]));
        CZ_CHECK(d < 1e-5, "cached run spectrum vs explicit wave: max diff %g", d);
        /* Now the cache holds FFT(w) from the explicit call: identical bits. */
        cz_sim_image(p, &ctf, NULL, 0, img2, info.image_len);
        CZ_CHECK(memcmp(img, img2, info.image_len * sizeof *img) == 0, "cached = explicit bytes");
        /* The vacuum wave replaces it. */
        cz_sim_image(p, NULL, vac, info.wave_len, img, info.image_len);
        cz_sim_image(p, &ctf, NULL, 0, img2, info.image_len);
        d = 0;
        for (size_t i = 0; i < info.image_len; i++) d = fmax(d, fabs(img2[i] - 1.0));
        CZ_CHECK(d < 1e-5, "cached vacuum wave images to 1 (max dev %g)", d);
        cz_sim_plan *q;
        CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &q) == CZ_OK, "plan q");
        CZ_CHECK_FAILS(cz_sim_image(q, &ctf, NULL, 0, img2, info.image_len), CZ_EINVAL,
                       "holds no exit wave");
        /* A vacuum run leaves the plane wave's spectrum. */
        cz_sim_run(q, w, info.wave_len);
        CZ_CHECK(cz_sim_image(q, &ctf, NULL, 0, img2, info.image_len) == CZ_OK, "vacuum run");
        d = 0;
        for (size_t i = 0; i < info.image_len; i++) d = fmax(d, fabs(img2[i] - 1.0));
        CZ_CHECK(d < 1e-5, "vacuum run images to 1 (max dev %g)", d);
        cz_sim_plan_destroy(q);
        free(img2);
    }
    free(w);
    free(vac);
    free(img);
    cz_sim_plan_destroy(p);
    return cz_test_summary("test_sim_imaging");
}
