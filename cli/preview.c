/* preview.c — PNG previews: the projections along x, y and z of a structure, side by side. */
#define _POSIX_C_SOURCE 200809L

#include "preview.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cz/cz_atoms.h"
#include "cz/cz_error.h"

/* Empty border around the atoms, Å: room for the discs' tails and the axis key. */
static const double MARGIN_A = 2.5;
/* Gaussian width of one atom, Å: about the half-width of a heavy atom's projected potential, so
 * neighbouring columns 1.4 Å apart ([110] Au) stay separate at 8 px/Å. */
static const double SIGMA_A = 0.4;
/* Grey levels of the separators and of the axis key. */
static const unsigned char SEPARATOR_GREY = 110;
static const unsigned char KEY_GREY = 220;

void cli_preview_opts_default(cli_preview_opts *opts) {
    opts->px_per_a = 8.0;
    opts->max_width = 1800;
    opts->labels = 1;
}

/* One panel: the projection along axis `along`, showing axis h to the right, v upwards. */
typedef struct panel {
    int along, h, v;
    int x0, y0, w, h_px; /* placement in the image, pixels */
} panel;

typedef struct canvas {
    int width, height;
    float *acc;          /* [height][width] summed atom weights */
    unsigned char *grey; /* [height][width] final 8-bit image */
} canvas;

/* The integral of the projected potential grows roughly as Z^0.6 (Kirkland's parametrisation
 * gives 505 V·Å³ for Au and 120 V·Å³ for C: (79/6)^0.56 ≈ 4.2), so weighting discs by Z^0.6 keeps
 * a carbon support visible next to a gold particle, as it is in a real image. */
static double atom_weight(int z) { return pow(z > 0 ? (double)z : 1.0, 0.6); }

/* Add a Gaussian disc centred at (px, py) (pixel units, pixel i spans [i, i+1)) into the panel.
 * The Gaussian separates into a row and a column factor, so a disc costs 2·(2r+1) exponentials
 * instead of (2r+1)². */
static void splat(canvas *cv, const panel *p, double px, double py, double sigma, double weight) {
    enum { MAXR = 64 };
    int r = (int)ceil(3.0 * sigma);
    if (r > MAXR) r = MAXR;
    int cx = (int)floor(px), cy = (int)floor(py);
    double gx[2 * MAXR + 1], gy[2 * MAXR + 1];
    double inv = 1.0 / (2.0 * sigma * sigma);
    for (int k = -r; k <= r; ++k) {
        double dx = cx + k + 0.5 - px, dy = cy + k + 0.5 - py;
        gx[k + r] = exp(-dx * dx * inv);
        gy[k + r] = weight * exp(-dy * dy * inv);
    }
    for (int j = -r; j <= r; ++j) {
        int y = cy + j;
        if (y < p->y0 || y >= p->y0 + p->h_px) continue;
        float *row = cv->acc + (size_t)y * (size_t)cv->width;
        for (int i = -r; i <= r; ++i) {
            int x = cx + i;
            if (x < p->x0 || x >= p->x0 + p->w) continue;
            row[x] += (float)(gy[j + r] * gx[i + r]);
        }
    }
}

/* Map summed weights to grey with 1 − exp(−acc/scale): linear for single atoms, saturating for
 * thick columns. The scale puts the 99.5th percentile of lit pixels at 95 % brightness, so one
 * hot spot does not darken the rest and a thin film is not washed out. */
static void tone_map(canvas *cv) {
    size_t npix = (size_t)cv->width * (size_t)cv->height;
    float top = 0.0f;
    for (size_t i = 0; i < npix; ++i)
        if (cv->acc[i] > top) top = cv->acc[i];
    if (!(top > 0.0f)) {
        memset(cv->grey, 0, npix);
        return;
    }
    enum { NBINS = 4096 };
    size_t hist[NBINS] = {0}, lit = 0;
    /* Pixels below 1 % of the peak are tails of discs, not atoms; leaving them out keeps the
     * percentile about atoms whatever the amount of empty space. */
    float floor_v = 0.01f * top;
    for (size_t i = 0; i < npix; ++i) {
        if (cv->acc[i] <= floor_v) continue;
        int b = (int)((double)cv->acc[i] / top * (NBINS - 1));
        hist[b < NBINS ? b : NBINS - 1]++;
        lit++;
    }
    size_t want = (size_t)(0.995 * (double)lit), seen = 0;
    int b = 0;
    for (; b < NBINS - 1; ++b) {
        seen += hist[b];
        if (seen >= want) break;
    }
    double level = (b + 1.0) / NBINS * top;
    double k = 3.0 / level; /* 1 − e^−3 = 0.95 */
    for (size_t i = 0; i < npix; ++i) {
        double g = 255.0 * (1.0 - exp(-k * cv->acc[i]));
        cv->grey[i] = (unsigned char)(g > 255.0 ? 255.0 : g + 0.5);
    }
}

/* 5×7 glyphs for the axis key, rows top to bottom, bit 4 = leftmost column. */
static const unsigned char GLYPH_X[7] = {0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11};
static const unsigned char GLYPH_Y[7] = {0x00, 0x00, 0x11, 0x11, 0x0F, 0x01, 0x0E};
static const unsigned char GLYPH_Z[7] = {0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F};

static void put(canvas *cv, int x, int y, unsigned char g) {
    if (x >= 0 && y >= 0 && x < cv->width && y < cv->height)
        cv->grey[(size_t)y * (size_t)cv->width + (size_t)x] = g;
}

static void glyph(canvas *cv, int axis, int x, int y, int scale) {
    const unsigned char *rows = axis == 0 ? GLYPH_X : axis == 1 ? GLYPH_Y : GLYPH_Z;
    for (int r = 0; r < 7; ++r)
        for (int c = 0; c < 5; ++c)
            if (rows[r] & (0x10 >> c))
                for (int sy = 0; sy < scale; ++sy)
                    for (int sx = 0; sx < scale; ++sx)
                        put(cv, x + c * scale + sx, y + r * scale + sy, KEY_GREY);
}

/* Two arrows from the panel's lower-left corner: along the panel's horizontal axis (right) and
 * vertical axis (up), each tipped with its letter, so a reader can tell which projection is
 * which without a caption. */
static void axis_key(canvas *cv, const panel *p) {
    int scale = cv->height >= 600 ? 2 : 1;
    int len = 14 * scale + 6, ox = p->x0 + 6, oy = cv->height - 7;
    if (p->w < len + 12 * scale || cv->height < len + 12 * scale) return;
    for (int t = 0; t <= len; ++t) {
        put(cv, ox + t, oy, KEY_GREY);
        put(cv, ox, oy - t, KEY_GREY);
    }
    for (int t = 1; t <= 3; ++t) {
        put(cv, ox + len - t, oy - t, KEY_GREY);
        put(cv, ox + len - t, oy + t, KEY_GREY);
        put(cv, ox - t, oy - len + t, KEY_GREY);
        put(cv, ox + t, oy - len + t, KEY_GREY);
    }
    glyph(cv, p->h, ox + len + 3, oy - 5 * scale, scale);
    glyph(cv, p->v, ox - 2 * scale, oy - len - 9 * scale, scale);
}

/* libpng reports errors through a callback that must not return; the message goes to the
 * caller's buffer, which outlives the longjmp (unlike locals of the function that called
 * setjmp). */
typedef struct png_err {
    char *msg;
    size_t len;
} png_err;

static void on_png_error(png_structp png, png_const_charp msg) {
    png_err *e = png_get_error_ptr(png);
    if (e && e->msg && e->len) snprintf(e->msg, e->len, "libpng: %s", msg);
    png_longjmp(png, 1);
}

/* libpng's default would print warnings on stderr; the program keeps stderr for its one
 * error line, and nothing libpng warns about when writing a plain grey image matters. */
static void on_png_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static int write_png_stream(FILE *fp, const canvas *cv, png_err *e) {
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, e, on_png_error, on_png_warning);
    if (!png) {
        snprintf(e->msg, e->len, "libpng: cannot create a writer");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(e->msg, e->len, "libpng: cannot create an info block");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)cv->width, (png_uint_32)cv->height, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < cv->height; ++y)
        png_write_row(png, cv->grey + (size_t)y * (size_t)cv->width);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

/* Write under a unique temporary name beside the target, then rename: readers never see a
 * half-written PNG, and a failed run leaves an older preview intact. */
static int write_png_file(const char *path, const canvas *cv, char *err, size_t errlen) {
    size_t n = strlen(path);
    char *tmp = malloc(n + 8);
    if (!tmp) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".XXXXXX", 8);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a file beside it: %s", strerror(errno));
        free(tmp);
        return -1;
    }
    /* mkstemp makes the file private (0600); a preview is an ordinary output file. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    png_err e = {err, errlen};
    int rc = write_png_stream(fp, cv, &e);
    if (fflush(fp) != 0 && rc == 0) {
        snprintf(err, errlen, "cannot write: %s", strerror(errno));
        rc = -1;
    }
    if (fclose(fp) != 0 && rc == 0) {
        snprintf(err, errlen, "cannot write: %s", strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename into place: %s", strerror(errno));
        rc = -1;
    }
    if (rc != 0) unlink(tmp);
    free(tmp);
    return rc;
}

int cli_preview_write(const char *path, const cz_atoms *atoms, const cli_preview_opts *opts,
                      char *err, size_t errlen) {
    cli_preview_opts o;
    if (opts)
        o = *opts;
    else
        cli_preview_opts_default(&o);
    if (!atoms || atoms->n == 0) {
        snprintf(err, errlen, "no atoms to draw");
        return -1;
    }
    if (!(o.px_per_a > 0.0) || o.max_width < 16) {
        snprintf(err, errlen, "bad preview scale");
        return -1;
    }
    double lo[3], hi[3], len[3];
    if (cz_atoms_bbox(atoms, lo, hi) != CZ_OK) {
        snprintf(err, errlen, "%s", cz_last_error());
        return -1;
    }
    for (int i = 0; i < 3; ++i) {
        lo[i] -= MARGIN_A;
        hi[i] += MARGIN_A;
        len[i] = hi[i] - lo[i];
    }

    /* Panels along x (y right, z up), along y (x right, z up) and along z (x right, y up). One
     * scale for all three, shrunk so the strip fits max_width and is no taller than that. */
    panel pn[3] = {{0, 1, 2, 0, 0, 0, 0}, {1, 0, 2, 0, 0, 0, 0}, {2, 0, 1, 0, 0, 0, 0}};
    double avail = (double)(o.max_width - 2 - 3);
    double s = o.px_per_a;
    double wsum = len[1] + len[0] + len[0];
    double hmax = fmax(len[2], len[1]);
    if (s * wsum > avail) s = avail / wsum;
    if (s * hmax > (double)o.max_width) s = (double)o.max_width / hmax;
    int height = 1, x = 0;
    for (int k = 0; k < 3; ++k) {
        pn[k].w = (int)ceil(len[pn[k].h] * s);
        pn[k].h_px = (int)ceil(len[pn[k].v] * s);
        if (pn[k].w < 1) pn[k].w = 1;
        if (pn[k].h_px < 1) pn[k].h_px = 1;
        if (pn[k].h_px > height) height = pn[k].h_px;
        pn[k].x0 = x;
        x += pn[k].w + 1; /* one separator column after each panel but the last */
    }
    int width = x - 1;
    for (int k = 0; k < 3; ++k) pn[k].y0 = (height - pn[k].h_px) / 2;

    canvas cv = {width, height, NULL, NULL};
    size_t npix = (size_t)width * (size_t)height;
    cv.acc = calloc(npix, sizeof *cv.acc);
    cv.grey = malloc(npix);
    if (!cv.acc || !cv.grey) {
        free(cv.acc);
        free(cv.grey);
        snprintf(err, errlen, "out of memory for a %d x %d image", width, height);
        return -1;
    }

    /* Below ~0.7 px a Gaussian no longer looks round; big structures get small, crisp dots. */
    double sigma = fmax(SIGMA_A * s, 0.7);
    for (size_t i = 0; i < atoms->n; ++i) {
        const double *r = atoms->xyz[i];
        double w = atom_weight(atoms->z[i]);
        for (int k = 0; k < 3; ++k) {
            const panel *p = &pn[k];
            double px = p->x0 + (r[p->h] - lo[p->h]) * s;
            /* Row 0 is the top of the image, so the vertical axis points up. */
            double py = p->y0 + (hi[p->v] - r[p->v]) * s;
            splat(&cv, p, px, py, sigma, w);
        }
    }
    tone_map(&cv);
    for (int k = 0; k < 2; ++k)
        for (int y = 0; y < height; ++y) put(&cv, pn[k].x0 + pn[k].w, y, SEPARATOR_GREY);
    if (o.labels)
        for (int k = 0; k < 3; ++k) axis_key(&cv, &pn[k]);

    int rc = write_png_file(path, &cv, err, errlen);
    free(cv.acc);
    free(cv.grey);
    return rc;
}

int cli_png_write_grey(const char *path, int width, int height, const unsigned char *grey,
                       char *err, size_t errlen) {
    if (width <= 0 || height <= 0 || !grey) {
        snprintf(err, errlen, "empty image");
        return -1;
    }
    /* The canvas is only read from here on; its accumulator is not needed. */
    canvas cv = {width, height, NULL, (unsigned char *)grey};
    return write_png_file(path, &cv, err, errlen);
}
