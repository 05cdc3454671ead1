# Reference values for tests/test_regression.py (analysis.regression).
#
# Input : ../data/bfi.csv                                   (psych::bfi, 2,800 rows)
#         ../../../shared/data/aer_affairs_pt/data.csv       (AER::Affairs, 601 rows)
#         ../../../shared/data/gss_happy_1972_2006/data.csv  (productplots happy, 51,020 rows)
#         ../../.venv/lib/python3.11/site-packages/statsmodels/datasets/fair/fair.csv
#                                                           (statsmodels fair, 6,366 rows)
# Output: regression_coefficients.csv  one row per fixture and term: estimate, se, statistic,
#                                      p_value, ci_low, ci_high (+ std_estimate, partial_r, vif
#                                      for lm; NA where a model has no such quantity)
#         regression_fit.csv           one row per fixture and fit quantity (long: fixture,
#                                      quantity, value)
#         regression_tobit_sim.csv     simulated data for the censored-normal fixture that runs
#                                      without the shared data (seed 20261123)
#
# Fixtures
#   lm_bfi         lm(A3 ~ A1 + A2 + C1 + E1 + age + education), complete cases; classical SEs,
#                  std_estimate from lm() on z-scored variables (complete cases), partial_r =
#                  t / sqrt(t^2 + df), vif = car::vif
#   lm_bfi_hc3     the same model, sandwich::vcovHC(type = "HC3"), t tests on df.residual,
#                  robust Wald F of all slopes (car::linearHypothesis(..., test = "F"))
#   polr_bfi       MASS::polr(ordered(A3) ~ A1 + A2 + C1 + age, method = "logistic")
#   polr_bfi_probit the same, method = "probit"
#   polr_gss       MASS::polr(happy ~ age + sex, levels not too < pretty < very happy)
#   tobit_affairs  AER::tobit(affairs ~ age + yearsmarried + religiousness + occupation + rating)
#   tobit_sim      AER::tobit(y ~ x1 + x2 + g, left = 0, right = 10) on regression_tobit_sim.csv
#   logit_fair     glm(affair ~ occupation + educ + occupation_husb + rate_marriage + age +
#                  yrs_married + children + religious, binomial), affair = affairs > 0
#   polr_*_newton  the polr fits polished by Newton steps on the same likelihood (see below):
#                  polr's BFGS stops with a gradient of ~1e-4, so its estimates and SEs are only
#                  accurate to ~1e-7; the polished values are accurate to ~1e-10.
# survreg and glm are run with tight convergence tolerances so that the reference is accurate to
# well under 1e-6 (defaults stop earlier). polr's Hessian comes from optim's finite differences
# of the analytic gradient (ndeps = 1e-5 here; optim's default 1e-3 is coarser).
#
# Run from tests/reference (R is only needed to remake the fixtures; tests never call R):
#   cd tests/reference && R CMD BATCH --no-save --no-restore regression.R

suppressPackageStartupMessages({
  library(MASS)
  library(AER)
  library(sandwich)
  library(car)
})
cat(R.version.string, "\n")
for (p in c("MASS", "AER", "survival", "sandwich", "car")) cat(p, as.character(packageVersion(p)), "\n")
shared <- file.path("..", "..", "..", "shared", "data")

write_fixture <- function(df, name) {
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) ifelse(is.na(v), NA, sprintf("%.17g", v)))
  write.csv(df, name, row.names = FALSE, na = "", quote = FALSE)
  cat("wrote", name, "\n")
}
coefs <- list()
fits <- list()
add_coef <- function(fixture, est, se, stat, p, lo, hi, extra = list()) {
  d <- data.frame(fixture = fixture, term = names(est), estimate = unname(est), se = unname(se),
                  statistic = unname(stat), p_value = unname(p), ci_low = unname(lo),
                  ci_high = unname(hi), std_estimate = NA_real_, partial_r = NA_real_,
                  vif = NA_real_)
  for (k in names(extra)) d[[k]] <- unname(extra[[k]])
  coefs[[fixture]] <<- d
}
add_fit <- function(fixture, ...) {
  v <- c(...)
  fits[[fixture]] <<- data.frame(fixture = fixture, quantity = names(v), value = as.double(unname(v)))
}

# ---------------------------------------------------------------- lm on bfi -----------------
bfi <- read.csv(file.path("..", "data", "bfi.csv"))
vars <- c("A3", "A1", "A2", "C1", "E1", "age", "education")
cc <- bfi[complete.cases(bfi[, vars]), vars]
cat("lm_bfi: complete cases", nrow(cc), "of", nrow(bfi), "\n")
m <- lm(A3 ~ A1 + A2 + C1 + E1 + age + education, data = bfi)
print(summary(m), digits = 10)
s <- summary(m)$coefficients
z <- as.data.frame(scale(cc))
mz <- lm(A3 ~ A1 + A2 + C1 + E1 + age + education, data = z)
tval <- s[, 3]
pr <- tval / sqrt(tval^2 + df.residual(m))
vif <- c(NA, car::vif(m))
ci <- confint(m)
add_coef("lm_bfi", s[, 1], s[, 2], s[, 3], s[, 4], ci[, 1], ci[, 2],
         list(std_estimate = coef(mz), partial_r = pr, vif = vif))
fs <- summary(m)$fstatistic
add_fit("lm_bfi", n = nobs(m), r2 = summary(m)$r.squared, adj_r2 = summary(m)$adj.r.squared,
        f2 = summary(m)$r.squared / (1 - summary(m)$r.squared), statistic = fs[["value"]],
        df1 = fs[["numdf"]], df2 = fs[["dendf"]],
        p_value = pf(fs[["value"]], fs[["numdf"]], fs[["dendf"]], lower.tail = FALSE),
        sigma = summary(m)$sigma, n_excluded = nrow(bfi) - nobs(m))

V <- vcovHC(m, type = "HC3")
ct <- coeftest(m, vcov. = V)
print(ct, digits = 10)
q <- qt(0.975, df.residual(m))
lh <- linearHypothesis(m, names(coef(m))[-1], vcov. = V, test = "F")
print(lh)
add_coef("lm_bfi_hc3", ct[, 1], ct[, 2], ct[, 3], ct[, 4], ct[, 1] - q * ct[, 2], ct[, 1] + q * ct[, 2])
add_fit("lm_bfi_hc3", statistic = lh$F[2], df1 = lh$Df[2], df2 = lh$Res.Df[2],
        p_value = lh[["Pr(>F)"]][2])

# ---------------------------------------------------------------- polr -------------------------
polr_fixture <- function(name, formula, data, method) {
  mf <- model.frame(formula, data)
  npar <- ncol(model.matrix(formula, mf)) - 1 + nlevels(model.response(mf)) - 1
  fit <- polr(formula, data = data, method = method, Hess = TRUE,
              control = list(reltol = 1e-15, maxit = 5000, ndeps = rep(1e-5, npar)))
  print(summary(fit), digits = 10)
  cf <- c(coef(fit), fit$zeta)
  se <- sqrt(diag(vcov(fit)))
  zz <- cf / se
  add_coef(name, cf, se, zz, 2 * pnorm(-abs(zz)), cf - qnorm(0.975) * se, cf + qnorm(0.975) * se)
  add_fit(name, n = nobs(fit), loglik = as.numeric(logLik(fit)), aic = AIC(fit),
          n_excluded = nrow(data) - nobs(fit), convergence = fit$convergence, niter = fit$niter[1])
  # polr's BFGS stops with a gradient of about 1e-4 even at reltol = 1e-15. Polish the same
  # likelihood (polr's parameterization, P(Y <= k) = F(zeta_k - x'b)) with Newton steps,
  # numDeriv's Richardson-extrapolated gradient and Hessian, and store it as <name>_newton.
  X <- model.matrix(formula, mf)[, -1, drop = FALSE]
  y <- as.integer(model.response(mf))
  cdf <- if (method == "logistic") plogis else pnorm
  k <- ncol(X)
  ll <- function(th) {
    eta <- drop(X %*% th[1:k])
    z <- c(-Inf, th[-(1:k)], Inf)
    sum(log(cdf(z[y + 1] - eta) - cdf(z[y] - eta)))
  }
  th <- c(coef(fit), fit$zeta)
  for (it in 1:20) {
    g <- numDeriv::grad(ll, th)
    H <- numDeriv::hessian(ll, th)
    th <- th - solve(H, g)
    if (max(abs(g)) < 1e-9) break
  }
  H <- numDeriv::hessian(ll, th)
  cat(name, "polished: max |gradient| at polr", format(max(abs(numDeriv::grad(ll, c(coef(fit), fit$zeta))))),
      "after", it, "Newton steps", format(max(abs(numDeriv::grad(ll, th)))),
      "; loglik polr", format(as.numeric(logLik(fit)), digits = 17), "polished", format(ll(th), digits = 17), "\n")
  se <- sqrt(diag(solve(-H)))
  zz <- th / se
  add_coef(paste0(name, "_newton"), th, se, zz, 2 * pnorm(-abs(zz)), th - qnorm(0.975) * se,
           th + qnorm(0.975) * se)
  add_fit(paste0(name, "_newton"), n = nobs(fit), loglik = ll(th))
}
bfi$A3o <- factor(bfi$A3, ordered = TRUE)
polr_fixture("polr_bfi", A3o ~ A1 + A2 + C1 + age, bfi, "logistic")
polr_fixture("polr_bfi_probit", A3o ~ A1 + A2 + C1 + age, bfi, "probit")
gss <- read.csv(file.path(shared, "gss_happy_1972_2006", "data.csv"))
gss$happy <- factor(gss$happy, levels = c("not too happy", "pretty happy", "very happy"), ordered = TRUE)
polr_fixture("polr_gss", happy ~ age + sex, gss, "logistic")

# ---------------------------------------------------------------- tobit ------------------------
tobit_fixture <- function(name, fit) {
  print(summary(fit), digits = 10)
  ct <- coeftest(fit)
  V <- vcov(fit)
  est <- c(coef(fit), "Log(scale)" = log(fit$scale))
  se <- sqrt(diag(V))
  zz <- est / se
  add_coef(name, est, se, zz, 2 * pnorm(-abs(zz)), est - qnorm(0.975) * se, est + qnorm(0.975) * se)
  add_fit(name, n = nobs(fit), loglik = as.numeric(logLik(fit)), scale = fit$scale,
          wald = summary(fit)$wald, df = length(coef(fit)) - 1)
}
aff <- read.csv(file.path(shared, "aer_affairs_pt", "data.csv"))
tobit_fixture("tobit_affairs",
              tobit(affairs ~ age + yearsmarried + religiousness + occupation + rating, data = aff,
                    control = survreg.control(rel.tolerance = 1e-13, maxiter = 200)))
set.seed(20261123)
nsim <- 300
sim <- data.frame(x1 = round(rnorm(nsim), 4), x2 = round(runif(nsim, 0, 5), 4),
                  g = sample(c("a", "b", "c"), nsim, replace = TRUE))
ystar <- 2 + 1.5 * sim$x1 + 0.8 * sim$x2 + ifelse(sim$g == "b", 1, ifelse(sim$g == "c", -1, 0)) +
  rnorm(nsim, sd = 3)
sim$y <- round(pmin(pmax(ystar, 0), 10), 4)
sim$x1[c(5, 17)] <- NA  # two incomplete rows: reported as excluded
write_fixture(sim, "regression_tobit_sim.csv")
sim <- read.csv("regression_tobit_sim.csv")
cat("tobit_sim: left-censored", sum(sim$y <= 0), "right-censored", sum(sim$y >= 10), "\n")
tobit_fixture("tobit_sim", tobit(y ~ x1 + x2 + g, left = 0, right = 10, data = sim,
                                 control = survreg.control(rel.tolerance = 1e-13, maxiter = 200)))

# ---------------------------------------------------------------- logit ------------------------
fair <- read.csv(file.path("..", "..", ".venv", "lib", "python3.11", "site-packages", "statsmodels",
                           "datasets", "fair", "fair.csv"))
fair$affair <- as.numeric(fair$affairs > 0)
g <- glm(affair ~ occupation + educ + occupation_husb + rate_marriage + age + yrs_married +
           children + religious, family = binomial, data = fair,
         control = glm.control(epsilon = 1e-15, maxit = 100))
print(summary(g), digits = 10)
s <- summary(g)$coefficients
ci <- confint.default(g)
add_coef("logit_fair", s[, 1], s[, 2], s[, 3], s[, 4], ci[, 1], ci[, 2])
add_fit("logit_fair", n = nobs(g), loglik = as.numeric(logLik(g)), deviance = deviance(g),
        null_deviance = g$null.deviance, aic = AIC(g),
        statistic = g$null.deviance - deviance(g), df = g$df.null - g$df.residual,
        p_value = pchisq(g$null.deviance - deviance(g), g$df.null - g$df.residual, lower.tail = FALSE))

write_fixture(do.call(rbind, coefs), "regression_coefficients.csv")
write_fixture(do.call(rbind, fits), "regression_fit.csv")
sessionInfo()
