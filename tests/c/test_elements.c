/* test_elements.c — symbols, masses and symbol lookup of cz_elements.h. */
#include <string.h>

#include "cz/cz_elements.h"
#include "cz/cz_error.h"
#include "cz_test.h"

static void test_symbols_and_masses(void) {
    CZ_CHECK(strcmp(cz_element_symbol(1), "H") == 0, "Z=1");
    CZ_CHECK(strcmp(cz_element_symbol(6), "C") == 0, "Z=6");
    CZ_CHECK(strcmp(cz_element_symbol(14), "Si") == 0, "Z=14");
    CZ_CHECK(strcmp(cz_element_symbol(79), "Au") == 0, "Z=79");
    CZ_CHECK(strcmp(cz_element_symbol(92), "U") == 0, "Z=92");
    CZ_CHECK(strcmp(cz_element_symbol(118), "Og") == 0, "Z=118");

    CZ_CHECK_CLOSE(cz_element_mass(1), 1.008, 1e-15, "H");
    CZ_CHECK_CLOSE(cz_element_mass(6), 12.011, 1e-15, "C");
    CZ_CHECK_CLOSE(cz_element_mass(8), 15.999, 1e-15, "O");
    CZ_CHECK_CLOSE(cz_element_mass(42), 95.95, 1e-15, "Mo");
    CZ_CHECK_CLOSE(cz_element_mass(46), 106.42, 1e-15, "Pd");
    CZ_CHECK_CLOSE(cz_element_mass(78), 195.084, 1e-15, "Pt");
    CZ_CHECK_CLOSE(cz_element_mass(79), 196.966569, 1e-15, "Au");
    CZ_CHECK_CLOSE(cz_element_mass(92), 238.02891, 1e-15, "U");
    CZ_CHECK_CLOSE(cz_element_mass(118), 294.214, 1e-15, "Og");

    /* The whole table against ase.data 3.22 (symbols concatenated in Z order, and the sums
     * Σ m and Σ Z·m computed there with math.fsum), so a transcription slip anywhere shows. */
    static const char all[] =
        "HHeLiBeBCNOFNeNaMgAlSiPSClArKCaScTiVCrMnFeCoNiCuZnGaGeAsSeBrKrRbSrYZrNbMoTcRuRhPdAgCdIn"
        "SnSbTeIXeCsBaLaCePrNdPmSmEuGdTbDyHoErTmYbLuHfTaWReOsIrPtAuHgTlPbBiPoAtRnFrRaAcThPaUNpPu"
        "AmCmBkCfEsFmMdNoLrRfDbSgBhHsMtDsRgCnNhFlMcLvTsOg";
    char joined[sizeof all + 8] = "";
    double sum = 0.0, zsum = 0.0;
    int shape_ok = 1;
    for (int z = 1; z <= CZ_MAX_Z; z++) {
        const char *s = cz_element_symbol(z);
        size_t len = strlen(s);
        if (len < 1 || len > 2 || s[0] < 'A' || s[0] > 'Z') shape_ok = 0;
        if (len == 2 && (s[1] < 'a' || s[1] > 'z')) shape_ok = 0;
        if (strlen(joined) + len < sizeof joined) strcat(joined, s);
        double m = cz_element_mass(z);
        if (!(m > 0.0 && m < 300.0)) shape_ok = 0;
        sum += m;
        zsum += z * m;
    }
    CZ_CHECK(shape_ok, "every symbol is 'X' or 'Xx' and every mass is in (0, 300)");
    CZ_CHECK(strcmp(joined, all) == 0, "symbols in Z order: %s", joined);
    CZ_CHECK_CLOSE(sum, 17284.869180001, 1e-12, "sum of masses");
    CZ_CHECK_CLOSE(zsum, 1387034.828577217, 1e-12, "sum of Z * mass");
}

static void test_out_of_range(void) {
    const int bad[] = {0, -1, 119, 1000, -2147483647 - 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CZ_CHECK(cz_element_symbol(bad[i]) == NULL, "symbol(%d) is NULL", bad[i]);
        CZ_CHECK(cz_element_mass(bad[i]) == 0.0, "mass(%d) is 0", bad[i]);
    }
}

static void test_from_symbol(void) {
    int z = -1;
    CZ_CHECK(cz_element_from_symbol("Au", &z) == CZ_OK && z == 79, "Au -> %d", z);
    CZ_CHECK(cz_element_from_symbol("au", &z) == CZ_OK && z == 79, "au -> %d", z);
    CZ_CHECK(cz_element_from_symbol("AU", &z) == CZ_OK && z == 79, "AU -> %d", z);
    CZ_CHECK(cz_element_from_symbol("C", &z) == CZ_OK && z == 6, "C -> %d", z);
    CZ_CHECK(cz_element_from_symbol("c", &z) == CZ_OK && z == 6, "c -> %d", z);
    CZ_CHECK(cz_element_from_symbol("Og", &z) == CZ_OK && z == 118, "Og -> %d", z);
    CZ_CHECK(cz_element_from_symbol("OG", &z) == CZ_OK && z == 118, "OG -> %d", z);
    CZ_CHECK(cz_element_from_symbol("Mo", &z) == CZ_OK && z == 42, "Mo -> %d", z);

    /* Every element in its three accepted spellings. */
    int all_ok = 1;
    for (int zz = 1; zz <= CZ_MAX_Z; zz++) {
        const char *s = cz_element_symbol(zz);
        char lower[3] = {0, 0, 0}, upper[3] = {0, 0, 0};
        for (size_t k = 0; k < strlen(s); k++) {
            char c = s[k];
            lower[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
            upper[k] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        }
        int a = 0, b = 0, c = 0;
        if (cz_element_from_symbol(s, &a) != CZ_OK || a != zz) all_ok = 0;
        if (cz_element_from_symbol(lower, &b) != CZ_OK || b != zz) all_ok = 0;
        if (cz_element_from_symbol(upper, &c) != CZ_OK || c != zz) all_ok = 0;
    }
    CZ_CHECK(all_ok, "all 118 symbols round-trip in chemical, lower and upper case");

    /* Failures: CZ_EINVAL, *z = 0, and a message naming the symbol. */
    z = 5;
    CZ_CHECK_FAILS(cz_element_from_symbol("aU", &z), CZ_EINVAL, "'aU'");
    CZ_CHECK(z == 0, "z reset to 0 on failure (got %d)", z);
    CZ_CHECK(strstr(cz_last_error(), "cz_element_from_symbol") != NULL,
             "message names the function: %s", cz_last_error());
    z = 5;
    CZ_CHECK_FAILS(cz_element_from_symbol("Xx", &z), CZ_EINVAL, "'Xx'");
    CZ_CHECK(z == 0, "z reset to 0 (got %d)", z);
    CZ_CHECK_FAILS(cz_element_from_symbol("XX", &z), CZ_EINVAL, "'XX'");
    CZ_CHECK_FAILS(cz_element_from_symbol("Auu", &z), CZ_EINVAL, "'Auu'");
    CZ_CHECK_FAILS(cz_element_from_symbol("", &z), CZ_EINVAL, "''");
    CZ_CHECK_FAILS(cz_element_from_symbol("A1", &z), CZ_EINVAL, "'A1'");
    CZ_CHECK_FAILS(cz_element_from_symbol(" C", &z), CZ_EINVAL, "' C'");
    CZ_CHECK_FAILS(cz_element_from_symbol("J", &z), CZ_EINVAL, "'J'");
    CZ_CHECK_FAILS(cz_element_from_symbol(NULL, &z), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_element_from_symbol("Au", NULL), CZ_EINVAL, "NULL");
}

int main(void) {
    test_symbols_and_masses();
    test_out_of_range();
    test_from_symbol();
    return cz_test_summary("elements");
}
