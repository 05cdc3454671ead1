# Reference values for tests/test_meta.py, computed with metafor::rma and predict().
#
# Output: tests/reference/meta_pooled.csv   one row per fixture x method x test: pooled estimate,
#                                           SE, z/t, p, CI, tau2, tau, Q (df, p), I2, H2 and the
#                                           prediction interval from predict(res)
#         tests/reference/meta_weights.csv  one row per fixture x method x test x study:
#                                           weights(res) (percent)
#         tests/reference/meta_escalc.csv   effect-size conversions: escalc("ZCOR") (Fisher z of r,
#                                           vi = 1/(n - 3)) and escalc("SMD") (Hedges' g)
#
# Fixtures (yi = estimates, sei = standard errors):
#   bcg          metafor's dat.bcg: log risk ratios, escalc("RR"), k = 13 (heterogeneous)
#   molloy       dat.molloy2014: correlations to Fisher z, escalc("ZCOR"), k = 16
#   two_hetero   k = 2: yi = (0.45, 0.05), sei = (0.10, 0.12)      (tau2 > 0)
#   two_homog    k = 2: yi = (0.30, 0.26), sei = (0.10, 0.12)      (tau2 = 0)
#   homog        k = 5: yi = (0.20, 0.22, 0.18, 0.21, 0.19), sei = (0.10, 0.12, 0.08, 0.15, 0.11)
#                (Q < df: tau2 = 0 for every estimator)
# Methods REML, ML, DL, FE with test = "z"; REML and DL also with test = "knha".
# Iterative estimators (REML, ML) are run with control = list(threshold = 1e-12, maxiter = 1000)
# so the fixture is the exact optimum (metafor's default threshold 1e-5 on the tau2 step stops
# up to ~1e-6 from it: column tau2_default holds the default fit's tau2).
#
# Run from tests/reference:  R CMD BATCH --no-save --no-restore meta.R

suppressPackageStartupMessages(library(metafor))
cat(R.version.string, "\n")
cat("metafor", as.character(packageVersion("metafor")), "\n\n")

fmt <- function(df) {
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) ifelse(is.na(v), NA, sprintf("%.17g", v)))
  df
}
write_fixture <- function(df, name) {
  write.csv(fmt(df), name, row.names = FALSE, na = "", quote = FALSE)
}

bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
mol <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
fixtures <- list(
  bcg = list(yi = as.numeric(bcg$yi), sei = sqrt(as.numeric(bcg$vi))),
  molloy = list(yi = as.numeric(mol$yi), sei = sqrt(as.numeric(mol$vi))),
  two_hetero = list(yi = c(0.45, 0.05), sei = c(0.10, 0.12)),
  two_homog = list(yi = c(0.30, 0.26), sei = c(0.10, 0.12)),
  homog = list(yi = c(0.20, 0.22, 0.18, 0.21, 0.19), sei = c(0.10, 0.12, 0.08, 0.15, 0.11))
)
# the inputs themselves, so the Python tests need no metafor data set
inputs <- do.call(rbind, lapply(names(fixtures), function(f) {
  data.frame(fixture = f, study = seq_along(fixtures[[f]]$yi),
             yi = fixtures[[f]]$yi, sei = fixtures[[f]]$sei)
}))
write_fixture(inputs, "meta_inputs.csv")

runs <- list(c("REML", "z"), c("ML", "z"), c("DL", "z"), c("FE", "z"), c("REML", "knha"),
             c("DL", "knha"))
pooled <- list()
weights_out <- list()
for (f in names(fixtures)) {
  fx <- fixtures[[f]]
  for (run in runs) {
    method <- run[1]; test <- run[2]
    res <- rma(yi = fx$yi, sei = fx$sei, method = method, test = test,
               control = list(threshold = 1e-12, maxiter = 1000))
    pr <- predict(res)
    pi_lb <- if (is.null(pr$pi.lb)) pr$ci.lb else pr$pi.lb
    pi_ub <- if (is.null(pr$pi.ub)) pr$ci.ub else pr$pi.ub
    pooled[[length(pooled) + 1]] <- data.frame(
      fixture = f, method = method, test = test, k = res$k,
      estimate = as.numeric(res$beta), se = res$se, statistic = res$zval, pval = res$pval,
      ci_lb = res$ci.lb, ci_ub = res$ci.ub, tau2 = res$tau2, tau = sqrt(res$tau2),
      QE = res$QE, QEdf = res$k - 1, QEp = res$QEp, I2 = res$I2, H2 = res$H2,
      pi_lb = pi_lb, pi_ub = pi_ub, df = if (test == "knha") res$dfs else NA_real_,
      tau2_default = rma(yi = fx$yi, sei = fx$sei, method = method, test = test)$tau2
    )
    weights_out[[length(weights_out) + 1]] <- data.frame(
      fixture = f, method = method, test = test, study = seq_along(fx$yi),
      weight = as.numeric(weights(res))
    )
    if (method == "REML" && test == "z") {
      cat("==== fixture", f, ": rma(yi, sei = sei, method = 'REML') ====\n")
      print(res)
      print(pr)
      cat("default threshold (1e-5): tau2 =",
          sprintf("%.10g", rma(yi = fx$yi, sei = fx$sei, method = "REML")$tau2), "\n\n")
    }
  }
}
pooled <- do.call(rbind, pooled)
write_fixture(pooled, "meta_pooled.csv")
write_fixture(do.call(rbind, weights_out), "meta_weights.csv")
print(pooled[, c("fixture", "method", "test", "tau2", "estimate", "se", "pi_lb", "pi_ub")],
      digits = 10)

# Effect-size conversions: Fisher z of a correlation, and the standardized mean difference
conv_r <- data.frame(ri = c(-0.6, -0.1, 0, 0.187, 0.45, 0.9), ni = c(20, 50, 30, 109, 200, 12))
ez <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = conv_r)
conv_d <- data.frame(m1i = c(5.2, 3.1, 10), m2i = c(4.5, 3.4, 8), sd1i = c(1.1, 0.9, 3),
                     sd2i = c(1.3, 1.0, 2.5), n1i = c(25, 60, 12), n2i = c(30, 55, 15))
ed <- escalc(measure = "SMD", m1i = m1i, m2i = m2i, sd1i = sd1i, sd2i = sd2i, n1i = n1i,
             n2i = n2i, data = conv_d)
# Cohen's d (uncorrected) from the pooled SD and its t statistic, for the d-from-t helper
sp <- with(conv_d, sqrt(((n1i - 1) * sd1i^2 + (n2i - 1) * sd2i^2) / (n1i + n2i - 2)))
d_raw <- with(conv_d, (m1i - m2i) / sp)
t_stat <- with(conv_d, (m1i - m2i) / (sp * sqrt(1 / n1i + 1 / n2i)))
escalc_out <- rbind(
  data.frame(kind = "ZCOR", x = conv_r$ri, n1 = conv_r$ni, n2 = NA_real_, t = NA_real_,
             yi = as.numeric(ez$yi), vi = as.numeric(ez$vi), d = NA_real_),
  data.frame(kind = "SMD", x = NA_real_, n1 = conv_d$n1i, n2 = conv_d$n2i, t = t_stat,
             yi = as.numeric(ed$yi), vi = as.numeric(ed$vi), d = d_raw)
)
write_fixture(escalc_out, "meta_escalc.csv")
print(escalc_out, digits = 10)
