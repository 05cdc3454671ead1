# Reference values for tests/test_model_checks.py: OLS with cluster-robust SEs, OLS diagnostics
# (analysis.models.regression, analysis.models.regression_diagnostics) and group comparisons
# (analysis.models.group_comparison).
#
# Input : model_checks_demo.csv                             (simulated: write_demo_survey(n_couples
#                                                             = 150, seed = 11), scored; made by
#                                                             model_checks_demo.py; 3 couple ids
#                                                             blanked)
#         ../../../shared/data/acitelli_couples/data.csv   (Acitelli, 1997: 148 couples, 296 persons)
# Output: model_checks_coefficients.csv  fixture, term, estimate, se, statistic, df, p_value,
#                                        ci_low, ci_high
#         model_checks_fit.csv           fixture, quantity, value (long)
#         model_checks_tests.csv         fixture, test, statistic, df, p_value
#         model_checks_influence.csv     fixture, row (0-based row of the input file), fitted,
#                                        residual, std_residual, student_residual, leverage,
#                                        cooks_distance, normal_quantile
#         model_checks_vif.csv           fixture, term, df, vif, vif_scaled
#         model_checks_groups.csv        fixture, group, n, mean, sd, se, ci_low, ci_high
#         model_checks_omnibus.csv       fixture, quantity, value (long)
#         model_checks_effects.csv       fixture, effect, estimate, ci_low, ci_high
#         model_checks_contrasts.csv     fixture, group1, group2, estimate, se, statistic, df,
#                                        p_value, ci_low, ci_high, hedges_g
#
# OLS fixtures (ols_<data> classical, ols_<data>_cluster cluster-robust by couple)
#   ols_demo       lm(csi_16_total ~ ecr_s_anxiety + ecr_s_avoidance + cpi_total + age +
#                  relationship_years + education), complete cases
#   ols_acitelli   lm(satisfaction ~ tension + self_pos + other_pos + Yearsmar + gender)
#   *_cluster      the same model on the rows with a couple id, lmtest::coeftest(fit, vcov =
#                  sandwich::vcovCL(fit, cluster = ~couple)) (type "HC1", cadjust = TRUE: the
#                  CR1 / Stata small-sample factor G/(G-1) * (n-1)/(n-k)); t tests and
#                  lmtest::coefci intervals on df.residual(fit) (what coeftest reports for lm);
#                  the F of all slopes is lmtest::waldtest(fit, fit0, vcov = V, test = "F")
#                  (fit0 the intercept-only model on the same rows),
#                  checked against car::linearHypothesis(fit, slopes, vcov. = V, test = "F")
#   diagnostics    lmtest::bptest(fit) (studentized, Koenker), shapiro.test(residuals(fit)),
#                  fitted, residuals, rstandard, rstudent, hatvalues, cooks.distance,
#                  qqnorm(rstandard(fit))$x, car::vif (GVIF, Df, GVIF^(1/(2 Df)) for factors)
#   ols_acitelli_cluster_90  the cluster fixture at level .90
#
# Group comparison fixtures (groups_<data>_<group>)
#   groups are sorted in C-locale order (sort(method = "radix")), groups with fewer than 2 cases
#   dropped; descriptives with t.test(x)$conf.int per group.
#   2 groups   t.test(var.equal = FALSE); Cohen's d with the pooled SD and the noncentral-t
#              interval (uniroot on pt(t, df, ncp)), Hedges' g = d J(df) with the exact J and
#              the d interval times J (as effectsize::hedges_g); pt() warns "full precision may
#              not have been achieved in 'pnt{final}'" at uniroot's far bracket ends (t +- 20),
#              not at the roots (the limits agree with scipy's noncentral t to ~1e-12)
#   > 2 groups oneway.test(var.equal = FALSE); eta^2 = SS_between / SS_total and
#              omega^2 = (SS_between - df_b MS_within) / (SS_total + MS_within) from anova(lm);
#              one interval for both (the population proportion of variance, Steiger 2004): the
#              noncentral-F ncp L of the classical F (uniroot on pf(F, df1, df2, L)),
#              L / (L + N); Games-Howell post hoc tests by formula: Welch SE and df per pair,
#              p = ptukey(sqrt(2) |t|, k, df, lower.tail = FALSE), interval
#              diff +- q / sqrt(2) SE with q the ptukey quantile found by uniroot (tol 1e-15):
#              R's qtukey stops at about 1e-7, so it is not used for the reference
#              (printed below for comparison); pairwise Hedges' g with the pair's pooled SD
#   groups_acitelli_simhob_90  the simhob fixture at level .90
#   groups_demo_status_single  the status fixture with row 0's status set to "single" (a group
#              of one, dropped)
#
# Run from tests/reference (R is only needed to remake the fixtures; tests never call R):
#   cd tests/reference && R CMD BATCH --no-save --no-restore model_checks.R

suppressPackageStartupMessages({
  library(sandwich)
  library(lmtest)
  library(car)
})
cat(R.version.string, "\n")
for (p in c("sandwich", "lmtest", "car")) cat(p, as.character(packageVersion(p)), "\n")
shared <- file.path("..", "..", "..", "shared", "data")

write_fixture <- function(df, name) {
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) ifelse(is.na(v), NA, sprintf("%.17g", v)))
  write.csv(df, name, row.names = FALSE, na = "", quote = FALSE)
  cat("wrote", name, "\n")
}
root <- function(f, target, lo, hi) uniroot(function(x) f(x) - target, c(lo, hi), tol = 1e-15)$root
coefs <- list(); fits <- list(); tests <- list(); infl <- list(); vifs <- list()
groups <- list(); omni <- list(); effects <- list(); contrasts <- list()
long <- function(fixture, ...) {
  v <- c(...)
  data.frame(fixture = fixture, quantity = names(v), value = as.double(unname(v)))
}

# ---------------------------------------------------------------- OLS --------------------------
ols_fixture <- function(name, formula, data) {
  fit <- lm(formula, data = data)
  s <- summary(fit)$coefficients
  ci <- confint(fit)
  coefs[[name]] <<- data.frame(fixture = name, term = rownames(s), estimate = s[, 1], se = s[, 2],
                               statistic = s[, 3], df = df.residual(fit), p_value = s[, 4],
                               ci_low = ci[, 1], ci_high = ci[, 2])
  fs <- summary(fit)$fstatistic
  fits[[name]] <<- long(name, n = nobs(fit), n_excluded = nrow(data) - nobs(fit),
                        statistic = fs[["value"]], df1 = fs[["numdf"]], df2 = fs[["dendf"]],
                        p_value = pf(fs[["value"]], fs[["numdf"]], fs[["dendf"]], lower.tail = FALSE))
  bp <- bptest(fit)
  sw <- shapiro.test(residuals(fit))
  print(bp); print(sw, digits = 15)
  tests[[name]] <<- data.frame(fixture = name, test = c("breusch_pagan", "shapiro_wilk"),
                               statistic = c(unname(bp$statistic), unname(sw$statistic)),
                               df = c(unname(bp$parameter), NA), p_value = c(bp$p.value, sw$p.value))
  infl[[name]] <<- data.frame(fixture = name, row = as.integer(names(residuals(fit))) - 1L,
                              fitted = fitted(fit), residual = residuals(fit),
                              std_residual = rstandard(fit), student_residual = rstudent(fit),
                              leverage = hatvalues(fit), cooks_distance = cooks.distance(fit),
                              normal_quantile = qqnorm(rstandard(fit), plot.it = FALSE)$x)
  v <- vif(fit)
  print(v, digits = 15)
  if (is.matrix(v)) {
    vifs[[name]] <<- data.frame(fixture = name, term = rownames(v), df = v[, "Df"], vif = v[, "GVIF"],
                                vif_scaled = v[, "GVIF^(1/(2*Df))"])
  } else {
    vifs[[name]] <<- data.frame(fixture = name, term = names(v), df = 1, vif = unname(v),
                                vif_scaled = sqrt(unname(v)))
  }
  fit
}

cluster_fixture <- function(name, formula, data, cluster, level = 0.95) {
  n_all <- nrow(data)
  data <- data[!is.na(data[[cluster]]), ]
  environment(formula) <- environment()  # vcovCL(cluster = ~id) and waldtest find `data` here
  fit <- lm(formula, data = data)
  used <- data[names(residuals(fit)), cluster]
  V <- vcovCL(fit, cluster = reformulate(cluster))
  ct <- coeftest(fit, vcov. = V)
  ci <- coefci(fit, vcov. = V, level = level)
  print(ct, digits = 15); print(ci, digits = 15)
  coefs[[name]] <<- data.frame(fixture = name, term = rownames(ct), estimate = ct[, 1], se = ct[, 2],
                               statistic = ct[, 3], df = df.residual(fit), p_value = ct[, 4],
                               ci_low = ci[, 1], ci_high = ci[, 2])
  fit0 <- lm(update(formula, . ~ 1), data = data[names(residuals(fit)), ])  # intercept only, same rows
  wt <- waldtest(fit, fit0, vcov = V, test = "F")
  lh <- linearHypothesis(fit, names(coef(fit))[-1], vcov. = V, test = "F")
  print(wt, digits = 15); print(lh, digits = 15)
  cat(name, ": waldtest F - linearHypothesis F =", wt$F[2] - lh$F[2], "\n")
  G <- length(unique(used))
  # the same matrix by hand: (X'X)^-1 [G/(G-1) (n-1)/(n-k) sum_g u_g u_g'] (X'X)^-1
  X <- model.matrix(fit); e <- residuals(fit); n <- nrow(X); k <- ncol(X)
  u <- rowsum(X * e, used)
  B <- solve(crossprod(X))
  Vh <- B %*% crossprod(u) %*% B * G / (G - 1) * (n - 1) / (n - k)
  cat(name, ": max |vcovCL - by hand| =", max(abs(V - Vh)), "; clusters", G, "\n")
  fits[[name]] <<- long(name, n = nobs(fit), n_excluded = n_all - nobs(fit), n_clusters = G, statistic = wt$F[2], df1 = -wt$Df[2],
                        df2 = wt$Res.Df[1], p_value = wt[["Pr(>F)"]][2])
  fit
}

demo <- read.csv("model_checks_demo.csv")
cat("demo:", nrow(demo), "rows;", sum(is.na(demo$couple_id)), "without a couple id\n")
f_demo <- csi_16_total ~ ecr_s_anxiety + ecr_s_avoidance + cpi_total + age + relationship_years + education
m <- ols_fixture("ols_demo", f_demo, demo)
print(summary(m), digits = 10)
cluster_fixture("ols_demo_cluster", f_demo, demo, "couple_id")

aci <- read.csv(file.path(shared, "acitelli_couples", "data.csv"))
f_aci <- satisfaction ~ tension + self_pos + other_pos + Yearsmar + gender
m <- ols_fixture("ols_acitelli", f_aci, aci)
print(summary(m), digits = 10)
cluster_fixture("ols_acitelli_cluster", f_aci, aci, "cuplid")
cluster_fixture("ols_acitelli_cluster_90", f_aci, aci, "cuplid", level = 0.90)

# ---------------------------------------------------------------- group comparisons ------------
J <- function(df) exp(lgamma(df / 2) - log(sqrt(df / 2)) - lgamma((df - 1) / 2))
ci_eta <- function(F, df1, df2, N, level) {
  L <- sapply(c((1 + level) / 2, (1 - level) / 2), function(p) {
    if (pf(F, df1, df2, 0) < p) return(0)
    root(function(L) pf(F, df1, df2, L), p, 0, 10000)
  })
  L / (L + N)
}
compare_fixture <- function(name, y, g, level = 0.95) {
  ok <- !is.na(y) & !is.na(g)
  y <- y[ok]; g <- g[ok]
  lv <- sort(unique(g), method = "radix")
  size <- sapply(lv, function(l) sum(g == l))
  if (any(size < 2)) cat(name, ": dropped groups with fewer than 2 cases:", lv[size < 2], "\n")
  lv <- lv[size >= 2]
  y <- y[g %in% lv]; g <- g[g %in% lv]
  xs <- lapply(lv, function(l) y[g == l])
  k <- length(lv); N <- length(y)
  n <- sapply(xs, length); m <- sapply(xs, mean); s <- sapply(xs, sd)
  cim <- t(sapply(xs, function(x) t.test(x, conf.level = level)$conf.int))
  groups[[name]] <<- data.frame(fixture = name, group = as.character(lv), n = n, mean = m, sd = s,
                                se = s / sqrt(n), ci_low = cim[, 1], ci_high = cim[, 2])
  if (k == 2) {
    tt <- t.test(xs[[1]], xs[[2]], var.equal = FALSE, conf.level = level)
    print(tt, digits = 15)
    omni[[name]] <<- long(name, n = N, statistic = unname(tt$statistic), df = unname(tt$parameter),
                          p_value = tt$p.value)
    df <- N - 2
    sp <- sqrt(((n[1] - 1) * s[1]^2 + (n[2] - 1) * s[2]^2) / df)
    d <- (m[1] - m[2]) / sp
    t <- d / sqrt(1 / n[1] + 1 / n[2])
    lo <- root(function(ncp) pt(t, df, ncp), (1 + level) / 2, t - 20, t + 20) * sqrt(1 / n[1] + 1 / n[2])
    hi <- root(function(ncp) pt(t, df, ncp), (1 - level) / 2, t - 20, t + 20) * sqrt(1 / n[1] + 1 / n[2])
    effects[[name]] <<- data.frame(fixture = name, effect = c("cohen_d", "hedges_g"),
                                   estimate = c(d, d * J(df)), ci_low = c(lo, lo * J(df)),
                                   ci_high = c(hi, hi * J(df)))
    contrasts[[name]] <<- data.frame(fixture = name, group1 = as.character(lv[1]),
                                     group2 = as.character(lv[2]), estimate = m[1] - m[2],
                                     se = unname(tt$stderr), statistic = unname(tt$statistic),
                                     df = unname(tt$parameter), p_value = tt$p.value,
                                     ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
                                     hedges_g = d * J(df))
    return(invisible())
  }
  ow <- oneway.test(y ~ factor(g, levels = lv), var.equal = FALSE)
  print(ow, digits = 15)
  a <- anova(lm(y ~ factor(g, levels = lv)))
  print(a, digits = 15)
  ssb <- a[1, "Sum Sq"]; ssw <- a[2, "Sum Sq"]; msw <- a[2, "Mean Sq"]
  omni[[name]] <<- long(name, n = N, statistic = unname(ow$statistic), df1 = unname(ow$parameter[1]),
                        df2 = unname(ow$parameter[2]), p_value = ow$p.value,
                        anova_statistic = a[1, "F value"], anova_p_value = a[1, "Pr(>F)"])
  ci <- ci_eta(a[1, "F value"], k - 1, N - k, N, level)
  effects[[name]] <<- data.frame(fixture = name, effect = c("eta_sq", "omega_sq"),
                                 estimate = c(ssb / (ssb + ssw), (ssb - (k - 1) * msw) / (ssb + ssw + msw)),
                                 ci_low = ci[1], ci_high = ci[2])
  rows <- list()
  for (i in 1:(k - 1)) for (j in (i + 1):k) {
    vi <- s[i]^2 / n[i]; vj <- s[j]^2 / n[j]
    diff <- m[i] - m[j]; se <- sqrt(vi + vj); t <- diff / se
    df <- (vi + vj)^2 / (vi^2 / (n[i] - 1) + vj^2 / (n[j] - 1))
    q <- root(function(q) ptukey(q, k, df), level, 0.01, 100)
    cat(sprintf("%s %s-%s: uniroot q = %.17g, qtukey = %.17g\n", name, lv[i], lv[j], q,
                qtukey(level, k, df)))
    sp <- sqrt(((n[i] - 1) * s[i]^2 + (n[j] - 1) * s[j]^2) / (n[i] + n[j] - 2))
    rows[[length(rows) + 1]] <- data.frame(
      fixture = name, group1 = as.character(lv[i]), group2 = as.character(lv[j]), estimate = diff,
      se = se, statistic = t, df = df, p_value = ptukey(sqrt(2) * abs(t), k, df, lower.tail = FALSE),
      ci_low = diff - q / sqrt(2) * se, ci_high = diff + q / sqrt(2) * se,
      hedges_g = diff / sp * J(n[i] + n[j] - 2))
  }
  contrasts[[name]] <<- do.call(rbind, rows)
  print(contrasts[[name]], digits = 10)
}

compare_fixture("groups_demo_status", demo$csi_16_total, demo$relationship_status)
# one person's status set to a value no one else has: that group (n = 1) is dropped. (The demo's
# gender has a group of 2, whose Games-Howell df fall below 2, where ptukey returns NaN.)
single <- demo$relationship_status
single[1] <- "single"
compare_fixture("groups_demo_status_single", demo$csi_16_total, single)
two <- demo[demo$gender %in% c("man", "woman"), ]
compare_fixture("groups_demo_gender2", two$swls_total, two$gender)
compare_fixture("groups_acitelli_simhob", aci$satisfaction, aci$simhob)
compare_fixture("groups_acitelli_simhob_90", aci$satisfaction, aci$simhob, level = 0.90)
compare_fixture("groups_acitelli_gender", aci$tension, aci$gender)

write_fixture(do.call(rbind, coefs), "model_checks_coefficients.csv")
write_fixture(do.call(rbind, fits), "model_checks_fit.csv")
write_fixture(do.call(rbind, tests), "model_checks_tests.csv")
write_fixture(do.call(rbind, infl), "model_checks_influence.csv")
write_fixture(do.call(rbind, vifs), "model_checks_vif.csv")
write_fixture(do.call(rbind, groups), "model_checks_groups.csv")
write_fixture(do.call(rbind, omni), "model_checks_omnibus.csv")
write_fixture(do.call(rbind, effects), "model_checks_effects.csv")
write_fixture(do.call(rbind, contrasts), "model_checks_contrasts.csv")
sessionInfo()
