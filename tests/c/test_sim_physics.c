/* test_sim_physics.c — electron wavelength, interaction parameter, Scherzer defocus. */
#include "cz/cz_sim.h"
#include "cz_test.h"

int main(void) {
    /* λ [Å] and σ [rad/(V·Å)] from CODATA 2018, computed independently (Python, double
     * precision) with the formulas of DESIGN §4; they agree with Kirkland 2010 Table 5.2. */
    const double table[5][3] = {{60e3, 0.0486606050297, 0.00113569053214},
                                {80e3, 0.0417571607728, 0.00100870659914},
                                {100e3, 0.0370143661378, 0.000924395817061},
                                {200e3, 0.0250793404505, 0.000728840104096},
                                {300e3, 0.0196874890068, 0.000652616142172}};
    for (int i = 0; i < 5; i++) {
        double lam = 0, sig = 0;
        CZ_CHECK(cz_sim_electron(table[i][0], &lam, &sig) == CZ_OK, "%s", cz_sim_last_error());
        CZ_CHECK_CLOSE(lam, table[i][1], 1e-9, "wavelength at %g eV", table[i][0]);
        CZ_CHECK_CLOSE(sig, table[i][2], 1e-9, "sigma at %g eV", table[i][0]);
    }
    /* The figures quoted in the reference README, to the digits given (1e-6 relative). */
    double lam, sig;
    cz_sim_electron(300e3, &lam, &sig);
    CZ_CHECK(fabs(lam - 0.0196875) <= 0.5e-7, "lambda(300 kV) = %.9f", lam);
    CZ_CHECK(fabs(sig - 6.52616e-4) <= 0.5e-9, "sigma(300 kV) = %.9g", sig);
    /* NULL outputs are allowed. */
    CZ_CHECK(cz_sim_electron(200e3, NULL, &sig) == CZ_OK, "NULL wavelength");

    double df = 0;
    CZ_CHECK(cz_sim_scherzer_defocus(300e3, 1.2e7, &df) == CZ_OK, "%s", cz_sim_last_error());
    CZ_CHECK(fabs(df - 595.29) < 0.005, "Scherzer defocus %.4f Å (want +595.29)", df);
    CZ_CHECK_CLOSE(df, 595.2938787886856, 1e-9, "Scherzer defocus");
    CZ_CHECK(cz_sim_scherzer_defocus(300e3, -1.2e7, &df) == CZ_OK && fabs(df + 595.29) < 0.005,
             "negative Cs gives negative Scherzer defocus (%g)", df);
    CZ_CHECK(cz_sim_scherzer_defocus(300e3, 0.0, &df) == CZ_OK && df == 0.0, "Cs = 0");

    /* Errors. */
    CZ_CHECK_FAILS(cz_sim_electron(0.0, &lam, &sig), CZ_EINVAL, "energy_ev must be");
    CZ_CHECK(lam == 0.0 && sig == 0.0, "outputs zeroed on failure");
    CZ_CHECK_FAILS(cz_sim_electron(-3e5, &lam, &sig), CZ_EINVAL, "got -300000");
    CZ_CHECK_FAILS(cz_sim_electron(NAN, &lam, &sig), CZ_EINVAL, "energy_ev");
    CZ_CHECK_FAILS(cz_sim_electron(INFINITY, &lam, &sig), CZ_EINVAL, "energy_ev");
    CZ_CHECK_FAILS(cz_sim_scherzer_defocus(300e3, NAN, &df), CZ_EINVAL, "cs must be finite");
    CZ_CHECK_FAILS(cz_sim_scherzer_defocus(-1.0, 1e7, &df), CZ_EINVAL, "energy_ev");
    CZ_CHECK_FAILS(cz_sim_scherzer_defocus(3e5, 1e7, NULL), CZ_EINVAL, "NULL");
    CZ_CHECK(strcmp(cz_sim_strerror(CZ_EFFTW), "FFTW planning failed") == 0, "strerror");
    return cz_test_summary("test_sim_physics");
}
