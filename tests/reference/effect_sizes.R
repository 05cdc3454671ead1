# Reference values for tests/test_effect_sizes.py (analysis.effect_sizes).
#
# effectsize, MBESS and pwr are not installed here, so their definitions are computed directly:
#   partial eta squared  SS_term / (SS_term + SS_residual) from car::Anova(type = 2 and 3), as
#                        effectsize::eta_squared(partial = TRUE); CI (two-sided, level .95) from
#                        the noncentral F: the ncp L with pf(F, df1, df2, L) = .975 / .025,
#                        eta2 = L / (L + df1 + df2 + 1) (effectsize's conversion; MBESS's
#                        conf.limits.ncf finds the same ncp)
#   Cohen's d            (m1 - m2) / pooled SD; CI from the noncentral t: ncp with
#                        pt(t, df, ncp) = .975 / .025, d = ncp * sqrt(1/n1 + 1/n2)
#                        (MBESS::ci.smd, effectsize::cohens_d); Hedges' g = d * J(df) with the
#                        exact gamma-function correction
#   p.adjust             stats::p.adjust (holm, BH, bonferroni, hochberg, BY)
#   sensitivity          smallest effect with power .80 at alpha .05 (uniroot, tol 1e-14) of
#                        pwr::pwr.r.test's power formula (two-sided, Fisher z with the bias term
#                        r / (2 (n - 1))) and pwr::pwr.f2.test's (noncentral F, lambda = f2 * n),
#                        the formulas copied from pwr 1.3-0
#
# Run from tests/reference (R is only needed to remake the fixtures; tests never call R):
#   cd tests/reference && R CMD BATCH --no-save --no-restore effect_sizes.R

suppressPackageStartupMessages(library(car))
cat(R.version.string, "\n")
cat("car", as.character(packageVersion("car")), "\n")

write_fixture <- function(df, name) {
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) ifelse(is.na(v), NA, sprintf("%.17g", v)))
  write.csv(df, name, row.names = FALSE, na = "", quote = FALSE)
  cat("wrote", name, "\n")
}
ncp_root <- function(f, target, lo, hi) uniroot(function(x) f(x) - target, c(lo, hi), tol = 1e-14)$root

# ---------------------------------------------------------------- partial eta squared ----------
bfi <- read.csv(file.path("..", "data", "bfi.csv"))
bfi$gender <- factor(bfi$gender)
m <- lm(A3 ~ A1 * A2 + C1 + gender, data = bfi)
eta_rows <- list()
for (type in c(2, 3)) {
  a <- Anova(m, type = type)
  print(a, digits = 10)
  res <- a["Residuals", "Sum Sq"]
  dfe <- a["Residuals", "Df"]
  terms <- setdiff(rownames(a), c("Residuals", "(Intercept)"))
  for (term in terms) {
    F <- a[term, "F value"]
    df1 <- a[term, "Df"]
    ci_ncp <- function(p) {
      if (pf(F, df1, dfe, 0) < p) return(0)
      ncp_root(function(L) pf(F, df1, dfe, L), p, 0, 10000)
    }
    lo <- ci_ncp(0.975)
    hi <- ci_ncp(0.025)
    eta_rows[[paste(type, term)]] <- data.frame(
      type = type, term = term, sum_sq = a[term, "Sum Sq"], df = df1, df_error = dfe,
      statistic = F, p_value = a[term, "Pr(>F)"],
      partial_eta_sq = a[term, "Sum Sq"] / (a[term, "Sum Sq"] + res),
      ci_low = lo / (lo + df1 + dfe + 1), ci_high = hi / (hi + df1 + dfe + 1))
  }
}
eta <- do.call(rbind, eta_rows)
print(eta, digits = 10)
write_fixture(eta, "effect_sizes_eta.csv")

# ---------------------------------------------------------------- Cohen's d --------------------
cohen <- function(name, x, g) {
  ok <- !is.na(x) & !is.na(g)
  x <- x[ok]; g <- g[ok]
  lv <- sort(unique(g))
  a <- x[g == lv[1]]; b <- x[g == lv[2]]
  n1 <- length(a); n2 <- length(b); df <- n1 + n2 - 2
  sp <- sqrt(((n1 - 1) * var(a) + (n2 - 1) * var(b)) / df)
  d <- (mean(a) - mean(b)) / sp
  t <- d / sqrt(1 / n1 + 1 / n2)
  lo <- ncp_root(function(ncp) pt(t, df, ncp), 0.975, t - 20, t + 20)
  hi <- ncp_root(function(ncp) pt(t, df, ncp), 0.025, t - 20, t + 20)
  J <- exp(lgamma(df / 2) - log(sqrt(df / 2)) - lgamma((df - 1) / 2))
  tt <- t.test(a, b, var.equal = TRUE)
  data.frame(fixture = name, n1 = n1, n2 = n2, mean1 = mean(a), mean2 = mean(b), sd_pooled = sp,
             cohen_d = d, ci_low = lo * sqrt(1 / n1 + 1 / n2), ci_high = hi * sqrt(1 / n1 + 1 / n2),
             hedges_g = d * J, statistic = unname(tt$statistic), df = df, p_value = tt$p.value)
}
small_x <- c(5.1, 4.8, 6.2, 5.9, 5.5, 4.9, 6.8, 5.0, 5.7, 6.1, 4.2, 4.6, 5.3, 3.9, 4.8, 5.0, 4.4,
             5.6, 4.1, 4.7, 4.9, 4.3)
small_g <- rep(c("treatment", "control"), c(10, 12))
d <- rbind(cohen("bfi_A3_gender", bfi$A3, as.integer(as.character(bfi$gender))),
           cohen("bfi_E1_gender", bfi$E1, as.integer(as.character(bfi$gender))),
           cohen("small", small_x, small_g))
print(d, digits = 10)
write_fixture(d, "effect_sizes_cohen_d.csv")

# ---------------------------------------------------------------- p.adjust ---------------------
p <- c(0.01, 0.02, 0.03, 0.04, 0.05, NA, 0.5, 0.001, 0.2, 0.04)
pa <- data.frame(p = p)
for (method in c("holm", "BH", "bonferroni", "hochberg", "BY")) pa[[method]] <- p.adjust(p, method)
print(pa, digits = 10)
write_fixture(pa, "effect_sizes_p_adjust.csv")

# ---------------------------------------------------------------- sensitivity ------------------
power_r <- function(r, n, sig.level = 0.05) {  # pwr::pwr.r.test, alternative = "two.sided"
  ttt <- qt(sig.level / 2, df = n - 2, lower = FALSE)
  rc <- sqrt(ttt^2 / (ttt^2 + n - 2))
  zr <- atanh(r) + r / (2 * (n - 1))
  zrc <- atanh(rc)
  pnorm((zr - zrc) * sqrt(n - 3)) + pnorm((-zr - zrc) * sqrt(n - 3))
}
power_f2 <- function(f2, u, v, sig.level = 0.05) {  # pwr::pwr.f2.test
  lambda <- f2 * (u + v + 1)
  pf(qf(sig.level, u, v, lower = FALSE), u, v, lambda, lower = FALSE)
}
mde <- list()
for (n in c(30, 85, 200, 1000)) {
  r <- ncp_root(function(r) power_r(r, n), 0.8, 1e-6, 0.999)
  mde[[paste("r", n)]] <- data.frame(kind = "r", n = n, n_predictors = 1, alpha = 0.05, power = 0.8,
                                     effect = r, power_at_effect = power_r(r, n))
  for (u in c(1, 3, 6)) {
    f2 <- ncp_root(function(f) power_f2(f, u, n - u - 1), 0.8, 1e-8, 50)
    mde[[paste("f2", n, u)]] <- data.frame(kind = "f2", n = n, n_predictors = u, alpha = 0.05,
                                           power = 0.8, effect = f2,
                                           power_at_effect = power_f2(f2, u, n - u - 1))
  }
}
r90 <- ncp_root(function(r) power_r(r, 150, 0.01), 0.9, 1e-6, 0.999)
mde[["r90"]] <- data.frame(kind = "r", n = 150, n_predictors = 1, alpha = 0.01, power = 0.9,
                           effect = r90, power_at_effect = power_r(r90, 150, 0.01))
mde <- do.call(rbind, mde)
print(mde, digits = 10)
# Cohen (1988) anchors: n = 85 detects r = .30 (Table 3.4.1); N = 55 detects f2 = .15 with one
# predictor (G*Power 3.1 "Linear multiple regression: fixed model, R2 deviation from zero")
cat("power_r(0.30, 85) =", power_r(0.30, 85), "; power_f2(0.15, 1, 53) =", power_f2(0.15, 1, 53), "\n")
write_fixture(mde, "effect_sizes_mde.csv")
sessionInfo()
