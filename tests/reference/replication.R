# Reference values for tests/test_replication.py: verdict rules for claims and replications,
# computed with base R only (pnorm, qnorm, dnorm, pt, qt, dt, uniroot, integrate, power.t.test).
# TOSTER and ReplicationBF are not installed; their formulas are written out below.
#
# Output: tests/reference/replication_claims.csv   directional claims with a SESOI (z and r)
#         tests/reference/replication_normal.csv   replications of a published estimate (z and r)
#         tests/reference/replication_d33.csv      d33 of two-sample t tests (Simonsohn, 2015)
#         tests/reference/replication_bf_t.csv     replication Bayes factors for t tests
#                                                  (Verhagen & Wagenmakers, 2014)
#
# Run from tests/reference:  R CMD BATCH --no-save --no-restore replication.R

cat(R.version.string, "\n\n")
fmt <- function(df) {
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) ifelse(is.na(v), NA, sprintf("%.17g", v)))
  df
}
write_fixture <- function(df, name) {
  write.csv(fmt(df), name, row.names = FALSE, na = "", quote = which(names(df) == "verdict"))
}

# ---- 1. Directional claim with a smallest effect size of interest ------------------------------
# One-sided tests at alpha (equivalently the 100(1 - 2 alpha)% CI):
#   direction:   H0: s*theta <= 0         p = 1 - pnorm(s * est / se)
#   opposite:    H0: s*theta >= 0         p = pnorm(s * est / se)
#   TOST (Lakens, 2017): H0a: theta <= -sesoi, p_lower = 1 - pnorm((est + sesoi) / se)
#                        H0b: theta >= +sesoi, p_upper = pnorm((est - sesoi) / se)
#                        p_tost = max(p_lower, p_upper)
# Verdict, first rule that applies: p_tost < alpha -> "equivalent to zero (negligible)";
# p_direction < alpha -> "supported"; p_opposite < alpha -> "opposite"; else "inconclusive".
# Correlations: est = atanh(r), se = 1 / sqrt(n - 3), sesoi = atanh(sesoi_r); CI back-transformed.
claim <- function(id, est, se, sesoi, s, alpha = 0.05, scale = "z", n = NA, r = NA, sesoi_r = NA) {
  p_dir <- pnorm(s * est / se, lower.tail = FALSE)
  p_opp <- pnorm(s * est / se)
  p_lo <- pnorm((est + sesoi) / se, lower.tail = FALSE)
  p_up <- pnorm((est - sesoi) / se)
  p_tost <- max(p_lo, p_up)
  crit <- qnorm(1 - alpha)
  lo <- est - crit * se; hi <- est + crit * se
  if (scale == "r") { lo <- tanh(lo); hi <- tanh(hi) }
  verdict <- if (p_tost < alpha) "equivalent to zero (negligible)" else if (p_dir < alpha)
    "supported" else if (p_opp < alpha) "opposite" else "inconclusive"
  data.frame(id = id, scale = scale, input = if (scale == "r") r else est, se = se,
             n = n, sesoi = if (scale == "r") sesoi_r else sesoi, direction = s, alpha = alpha,
             statistic = est / se, p_direction = p_dir, p_opposite = p_opp,
             p_two_sided = 2 * pnorm(-abs(est / se)), p_equiv_lower = p_lo, p_equiv_upper = p_up,
             p_tost = p_tost, ci_low = lo, ci_high = hi, verdict = verdict)
}
claim_r <- function(id, r, n, sesoi_r, s, alpha = 0.05) {
  claim(id, atanh(r), 1 / sqrt(n - 3), atanh(sesoi_r), s, alpha, "r", n, r, sesoi_r)
}
claims <- rbind(
  claim("z_supported", 0.30, 0.10, 0.10, 1),
  claim("z_equivalent", 0.02, 0.03, 0.10, 1),
  claim("z_opposite", -0.25, 0.10, 0.10, 1),
  claim("z_inconclusive", 0.10, 0.15, 0.10, 1),
  claim("z_sig_but_negligible", 0.06, 0.02, 0.10, 1),
  claim("z_negative_supported", -0.40, 0.12, 0.15, -1),
  claim("z_alpha01", 0.25, 0.10, 0.10, 1, alpha = 0.01),
  claim_r("r_supported", 0.25, 200, 0.10, 1),
  claim_r("r_equivalent", 0.03, 1500, 0.10, 1),
  claim_r("r_opposite", -0.20, 120, 0.10, 1),
  claim_r("r_inconclusive", 0.10, 40, 0.10, 1)
)
write_fixture(claims, "replication_claims.csv")
print(claims, digits = 10)

# ---- 2. Replication of a published estimate (normal theory on estimates with SEs) --------------
# s = sign(orig). diff = new - orig, se_diff = sqrt(se_new^2 + se_orig^2), z_diff = diff / se_diff,
# two-sided p; CI of the difference diff +- qnorm(1 - alpha/2) se_diff.
# Prediction interval for the new estimate (Patil, Peng & Leek, 2016): orig +- qnorm(1 - alpha/2) se_diff.
# theta33 (Simonsohn, 2015): the effect the original study had 1/3 power to detect with a
# two-sided z test at alpha: pnorm(t/se_o - c) + pnorm(-t/se_o - c) = 1/3, c = qnorm(1 - alpha/2).
# Small telescopes: the replication is too small to have been detectable if the upper bound of
# its one-sided 100(1 - alpha)% interval, s*new + qnorm(1 - alpha) se_new, is below theta33;
# p = pnorm((s*new - theta33) / se_new).
# Replication Bayes factor, normal approximation: BF_r0 = dnorm(new, orig, se_diff) / dnorm(new, 0, se_new)
# (checked against integrate() of the likelihood over the original's posterior N(orig, se_orig^2)).
# Verdict, first rule that applies:
#   new significant (two-sided p < alpha) in the original's direction:
#       p_diff >= alpha -> "replicated (consistent)"; s*diff < 0 -> "replicated, smaller";
#       else "replicated, larger"
#   small telescopes upper bound < theta33 -> "not replicated"
#   else -> "inconclusive"
theta33 <- function(se_o, alpha = 0.05) {
  c <- qnorm(1 - alpha / 2)
  uniroot(function(t) pnorm(t / se_o - c) + pnorm(-t / se_o - c) - 1 / 3,
          c(0, 10 * se_o), tol = 1e-14)$root
}
replication <- function(id, orig, se_o, new, se_n, alpha = 0.05, scale = "z", r_o = NA, n_o = NA,
                        r_n = NA, n_n = NA) {
  s <- sign(orig)
  c2 <- qnorm(1 - alpha / 2)
  c1 <- qnorm(1 - alpha)
  se_d <- sqrt(se_n^2 + se_o^2)
  diff <- new - orig
  z_d <- diff / se_d
  p_new <- 2 * pnorm(-abs(new / se_n))
  p_d <- 2 * pnorm(-abs(z_d))
  t33 <- theta33(se_o, alpha)
  upper1 <- s * new + c1 * se_n
  bf <- dnorm(new, orig, se_d) / dnorm(new, 0, se_n)
  bf_int <- integrate(function(th) dnorm(new, th, se_n) * dnorm(th, orig, se_o),
                      orig - 40 * se_o, orig + 40 * se_o, rel.tol = 1e-12)$value / dnorm(new, 0, se_n)
  verdict <- if (p_new < alpha && s * new > 0) {
    if (p_d >= alpha) "replicated (consistent)" else if (s * diff < 0) "replicated, smaller"
    else "replicated, larger"
  } else if (upper1 < t33) "not replicated" else "inconclusive"
  tr <- if (scale == "r") tanh else identity
  data.frame(id = id, scale = scale, orig_input = if (scale == "r") r_o else orig,
             orig_se = se_o, orig_n = n_o, new_input = if (scale == "r") r_n else new,
             new_se = se_n, new_n = n_n, alpha = alpha,
             orig_z = orig, new_z = new,
             new_statistic = new / se_n, new_p = p_new,
             new_ci_low = tr(new - c2 * se_n), new_ci_high = tr(new + c2 * se_n),
             diff = diff, diff_se = se_d, diff_statistic = z_d, diff_p = p_d,
             diff_ci_low = diff - c2 * se_d, diff_ci_high = diff + c2 * se_d,
             pi_low = tr(orig - c2 * se_d), pi_high = tr(orig + c2 * se_d),
             orig_in_new_ci = (orig >= new - c2 * se_n) & (orig <= new + c2 * se_n),
             new_in_pi = (new >= orig - c2 * se_d) & (new <= orig + c2 * se_d),
             effect33 = tr(s * t33), small_upper = tr(s * upper1),
             small_p = pnorm((s * new - t33) / se_n), too_small = upper1 < t33,
             bf_r0 = bf, bf_r0_integrate = bf_int, verdict = verdict)
}
replication_r <- function(id, r_o, n_o, r_n, n_n, alpha = 0.05) {
  replication(id, atanh(r_o), 1 / sqrt(n_o - 3), atanh(r_n), 1 / sqrt(n_n - 3), alpha, "r",
              r_o, n_o, r_n, n_n)
}
reps <- rbind(
  replication("z_consistent", 0.50, 0.20, 0.45, 0.08),
  replication("z_smaller", 0.60, 0.20, 0.15, 0.05),
  replication("z_larger", 0.20, 0.05, 0.60, 0.10),
  replication("z_not_replicated", 0.50, 0.20, 0.02, 0.06),
  replication("z_inconclusive", 0.50, 0.20, 0.10, 0.20),
  replication("z_negative_opposite", -0.40, 0.15, 0.35, 0.10),
  replication("z_alpha01", 0.50, 0.15, 0.30, 0.10, alpha = 0.01),
  replication_r("r_consistent", 0.40, 40, 0.33, 250),
  replication_r("r_not_replicated", 0.40, 40, 0.05, 300),
  replication_r("r_inconclusive", 0.45, 30, 0.15, 45)
)
write_fixture(reps, "replication_normal.csv")
print(t(reps), digits = 10)

# ---- 3. d33 of a two-sample t test (Simonsohn, 2015) ---------------------------------------------
# The d for which a two-sided two-sample t test (alpha) with n1, n2 has power 1/3:
# P(|T| > qt(1 - alpha/2, df) | ncp = d sqrt(n1 n2 / (n1 + n2))) = 1/3, df = n1 + n2 - 2.
# Checked against power.t.test(n, power = 1/3, strict = TRUE)$delta for equal groups.
d33 <- function(n1, n2, alpha = 0.05) {
  df <- n1 + n2 - 2; q <- qt(1 - alpha / 2, df); m <- sqrt(n1 * n2 / (n1 + n2))
  uniroot(function(d) pt(q, df, d * m, lower.tail = FALSE) + pt(-q, df, d * m) - 1 / 3,
          c(0, 10), tol = 1e-14)$root
}
d33_tab <- data.frame(n1 = c(20, 14, 11, 50, 10), n2 = c(20, 14, 11, 50, 25), alpha = 0.05)
d33_tab$d33 <- mapply(d33, d33_tab$n1, d33_tab$n2)
d33_tab$power_t_test <- ifelse(d33_tab$n1 == d33_tab$n2,
  mapply(function(n) power.t.test(n = n, power = 1 / 3, sig.level = 0.05, strict = TRUE,
                                  tol = 1e-12)$delta, d33_tab$n1), NA)
write_fixture(d33_tab, "replication_d33.csv")
print(d33_tab, digits = 10)

# ---- 4. Replication Bayes factor for t tests (Verhagen & Wagenmakers, 2014) ---------------------
# BF_r0 = p(t_rep | H_r) / p(t_rep | H0), H0: delta = 0 -> dt(t_rep, df_rep);
# H_r: delta ~ posterior of the original study (flat prior): post(delta) proportional to
# dt(t_orig, df_orig, ncp = delta * sqrt(n_eff_orig)); p(t_rep | H_r) = integral of
# dt(t_rep, df_rep, ncp = delta * sqrt(n_eff_rep)) * post(delta). n_eff = n (one sample) or
# n1 n2 / (n1 + n2) (two samples), df = n - 1 or n1 + n2 - 2.
# "exact": the posterior normalised by integrate(); "normal": ReplicationBF::RBF_ttest(method =
# "NormApprox")'s normal posterior (mean t/sqrt(n_eff), SD from the lower 95% confidence limit of
# the noncentrality parameter, as MBESS::conf.limits.nct) integrated instead of averaged over
# 1e6 random draws.
rbf_t <- function(t_o, n_o, t_r, n_r) {
  df_o <- sum(n_o) - length(n_o); df_r <- sum(n_r) - length(n_r)
  m_o <- if (length(n_o) == 1) sqrt(n_o) else sqrt(1 / (1 / n_o[1] + 1 / n_o[2]))
  m_r <- if (length(n_r) == 1) sqrt(n_r) else sqrt(1 / (1 / n_r[1] + 1 / n_r[2]))
  width <- 15 * sqrt(1 + t_o^2 / (2 * df_o)) / m_o
  lo <- t_o / m_o - width; hi <- t_o / m_o + width
  post <- function(d) dt(t_o, df_o, ncp = d * m_o)
  norm <- integrate(post, lo, hi, rel.tol = 1e-12)$value
  marg <- integrate(function(d) dt(t_r, df_r, ncp = d * m_r) * post(d), lo, hi,
                    rel.tol = 1e-12)$value / norm
  exact <- marg / dt(t_r, df_r)
  ncp_lower <- uniroot(function(ncp) pt(t_o, df_o, ncp) - 0.975, c(t_o - 20, t_o), tol = 1e-14)$root
  mu <- t_o / m_o
  sdd <- abs(((t_o - ncp_lower) / qnorm(0.025)) / m_o)
  normal <- integrate(function(d) dt(t_r, df_r, ncp = d * m_r) * dnorm(d, mu, sdd),
                      mu - 15 * sdd, mu + 15 * sdd, rel.tol = 1e-12)$value / dt(t_r, df_r)
  data.frame(t_orig = t_o, n_orig_1 = n_o[1], n_orig_2 = if (length(n_o) == 2) n_o[2] else NA,
             t_rep = t_r, n_rep_1 = n_r[1], n_rep_2 = if (length(n_r) == 2) n_r[2] else NA,
             bf_exact = exact, bf_normal = normal, post_mean_normal = mu, post_sd_normal = sdd)
}
bf_t <- rbind(
  rbf_t(2.10, c(11, 11), 3.06, c(27, 28)),  # Example 1 of Verhagen & Wagenmakers (2014), as in
                                            # ReplicationBF's README
  rbf_t(2.10, c(11, 11), 0.50, c(27, 28)),
  rbf_t(3.00, 30, -0.40, 80),               # one-sample t tests
  rbf_t(2.50, c(20, 22), 1.20, c(60, 60))
)
write_fixture(bf_t, "replication_bf_t.csv")
print(bf_t, digits = 10)
# Monte Carlo as ReplicationBF (1e6 draws) for Example 1, to show it approximates "normal":
set.seed(2014)
ex <- bf_t[1, ]
draws <- rnorm(1e6, ex$post_mean_normal, ex$post_sd_normal)
cat("Example 1, Monte Carlo (1e6 draws, NormApprox):",
    mean(dt(3.06, 53, ncp = draws * sqrt(1 / (1 / 27 + 1 / 28)))) / dt(3.06, 53), "\n")
