/* Model kind `ishigami`: the Ishigami-Homma test function,
 * y = sin x1 + a sin^2 x2 + b x3^4 sin x1, with x_i ~ U(-pi, pi) in the usual
 * set-up.  Its Sobol indices are known in closed form, which makes it the
 * standard check of a sensitivity analysis (tests/cli/sobol.sh). */
#include <math.h>
#include <stdlib.h>
#include "../kind.h"
#include "../json_util.h"

enum { P_X1, P_X2, P_X3, P_A, P_B, N_P };

static const tyche_param_spec params[N_P] = {
    {"x1", "1", "first input", -INFINITY, INFINITY, 0, 0, 0},
    {"x2", "1", "second input", -INFINITY, INFINITY, 0, 0, 0},
    {"x3", "1", "third input", -INFINITY, INFINITY, 0, 0, 0},
    {"a", "1", "weight of sin^2 x2", -INFINITY, INFINITY, 0, 1, 7.0},
    {"b", "1", "weight of x3^4 sin x1", -INFINITY, INFINITY, 0, 1, 0.1},
};

static const tyche_output_spec outputs[] = {
    {"y", TYCHE_OUTPUT_VALUE, "1", "sin x1 + a sin^2 x2 + b x3^4 sin x1"},
};

static tyche_status prepare(const tyche_model_setup *su, const void *settings, void **out,
                            tyche_model_layout *layout, tyche_err *err) {
    static const char *const keys[] = {NULL};
    char path[600];
    snprintf(path, sizeof path, "%s.settings", su->path);
    (void)layout;
    *out = NULL;
    return settings ? tyche_json_check_keys(settings, keys, path, err) : TYCHE_OK;
}

static void simulate(const void *cfg, tyche_model_ctx *x) {
    (void)cfg;
    const double *p = x->params;
    const double s1 = sin(p[P_X1]), s2 = sin(p[P_X2]), x3 = p[P_X3];
    x->out[0] = s1 + p[P_A] * s2 * s2 + p[P_B] * x3 * x3 * x3 * x3 * s1;
}

const tyche_model_kind tyche_model_ishigami = {
    .name = "ishigami",
    .description = "the Ishigami-Homma test function of sensitivity analysis",
    .params = params,
    .n_params = N_P,
    .outputs = outputs,
    .n_outputs = 1,
    .n_streams = 0, /* deterministic in its parameters */
    .prepare = prepare,
    .simulate = simulate,
};
