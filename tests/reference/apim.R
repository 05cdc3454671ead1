# Reference values for tests/test_dyadic.py: APIM fits with nlme::gls (and nlme::lme), and the
# nonindependence correlations (Kenny, Kashy & Cook, 2006, ch. 2-7).
#
# Input : ../../../shared/data/acitelli_couples/data_pairwise.csv (Acitelli, 1997; 148 couples,
#         pairwise layout, see its SOURCE.md). Skipped when absent.
# Output (written here, in tests/reference):
#   apim_negative_data.csv    simulated, individual layout (dyad, person, x, w, y): 250
#                             indistinguishable dyads whose residuals correlate about -.45
#                             within the dyad, plus a dyad-level predictor w (set.seed(6061))
#   apim_incomplete_data.csv  simulated, individual layout (dyad, role, x, y): 180
#                             distinguishable dyads (role "man"/"woman", man's residual SD 1.6
#                             times the woman's, rho = .35); 12 persons have y missing (their
#                             partner stays as a one-member dyad) and 6 dyads have only one row
#                             (the remaining member has no partner x: dropped) (set.seed(6062))
#   apim_coefficients.csv     model, term, estimate, se, statistic, df, p_value
#                             (summary(gls)$tTable; df = N - p as nlme)
#   apim_fit.csv              model, method, n, rho, sigma, delta, loglik, aic, bic,
#                             sigma_empty (residual SD of the matching empty model, same
#                             method), rho_empty. sigma is the residual SD of varIdent's
#                             reference stratum, which is the role of the FIRST ROW of the data
#                             (not the first factor level): wife in Acitelli (first row a wife),
#                             man in the incomplete set; delta = SD(other role) / sigma (1 if
#                             no varIdent)
#   apim_icc.csv              data, kind, estimate, statistic, df, p_value, ci_low, ci_high
#                             (pairwise: double-entry r, z = r sqrt(n); anova: KKC's ICC with
#                             the two-sided F test, CI = psych::ICC ICC1 bounds; pearson:
#                             cor.test)
#   apim_lrt.csv              data, df, statistic, p_value (distinguishability: anova() of ML fits)
#
# Pairwise (double-entry) layout is built in R by merging each person with the partner's row.
# Run: cd tests/reference && R CMD BATCH --no-save --no-restore apim.R

suppressPackageStartupMessages(library(nlme))
suppressPackageStartupMessages(library(psych))
icc1_ci <- function(a, b) {
  res <- psych::ICC(cbind(a, b), lmer = FALSE)$results
  as.numeric(res["Single_raters_absolute", c("lower bound", "upper bound")])
}
cat(R.version.string, "\n")
cat("nlme", as.character(packageVersion("nlme")), "\n\n")

acitelli_file <- file.path("..", "..", "..", "shared", "data", "acitelli_couples", "data_pairwise.csv")

write_fixture <- function(df, name) {
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) ifelse(is.na(v), NA, sprintf("%.17g", v)))
  write.csv(df, name, row.names = FALSE, na = "", quote = FALSE)
}

ctrl <- glsControl(tolerance = 1e-10, msTol = 1e-12, maxIter = 500, msMaxIter = 500)

coefs <- list()
fits <- list()
icc <- list()
lrt <- list()

add_fit <- function(name, fit, empty = NULL) {
  cs <- fit$modelStruct$corStruct
  rho <- if (is.null(cs)) 0 else coef(cs, unconstrained = FALSE)[[1]]
  vs <- fit$modelStruct$varStruct
  delta <- if (is.null(vs)) 1 else coef(vs, unconstrained = FALSE)[[1]]
  tt <- summary(fit)$tTable
  coefs[[name]] <<- data.frame(model = name, term = rownames(tt), estimate = tt[, 1], se = tt[, 2],
                               statistic = tt[, 3], df = fit$dims$N - fit$dims$p, p_value = tt[, 4])
  se <- if (is.null(empty)) NA else empty$sigma
  re <- if (is.null(empty)) NA else coef(empty$modelStruct$corStruct, unconstrained = FALSE)[[1]]
  fits[[name]] <<- data.frame(model = name, method = fit$method, n = fit$dims$N, rho = rho,
                              sigma = fit$sigma, delta = delta, loglik = as.numeric(logLik(fit)),
                              aic = AIC(fit), bic = BIC(fit), sigma_empty = se, rho_empty = re)
  cat("==== ", name, "\n")
  print(summary(fit))
  if (!is.null(vs)) print(vs)
}

source("apim_pairwise.R")

# ---------------------------------------------------------------- Acitelli (published values)
if (file.exists(acitelli_file)) {
  aci <- read.csv(acitelli_file)
  aci$role <- factor(ifelse(aci$Gender_A == -1, "wife", "husband"), levels = c("husband", "wife"))
  aci$wife <- as.numeric(aci$Gender_A == -1)
  aci$husband <- as.numeric(aci$Gender_A == 1)
  for (m in c("REML", "ML")) {
    e <- gls(Satisfaction_A ~ 1, data = aci, correlation = corCompSymm(form = ~1 | CoupleID),
             method = m, control = ctrl)
    f <- gls(Satisfaction_A ~ OtherPos_A + OtherPos_P, data = aci,
             correlation = corCompSymm(form = ~1 | CoupleID), method = m, control = ctrl)
    add_fit(paste0("acitelli_indist_", m), f, e)
    f <- gls(Satisfaction_A ~ Tension_A + SelfPos_P, data = aci,
             correlation = corCompSymm(form = ~1 | CoupleID), method = m, control = ctrl)
    add_fit(paste0("acitelli_dyadr_", m), f, e)
    e2 <- gls(Satisfaction_A ~ 0 + husband + wife, data = aci,
              correlation = corCompSymm(form = ~1 | CoupleID),
              weights = varIdent(form = ~1 | role), method = m, control = ctrl)
    f <- gls(Satisfaction_A ~ 0 + husband + wife + husband:OtherPos_A + wife:OtherPos_A +
               husband:OtherPos_P + wife:OtherPos_P, data = aci,
             correlation = corCompSymm(form = ~1 | CoupleID),
             weights = varIdent(form = ~1 | role), method = m, control = ctrl)
    add_fit(paste0("acitelli_twoint_", m), f, e2)
    f <- gls(Satisfaction_A ~ OtherPos_A + OtherPos_P + Gender_A + OtherPos_A:Gender_A +
               OtherPos_P:Gender_A, data = aci, correlation = corCompSymm(form = ~1 | CoupleID),
             weights = varIdent(form = ~1 | role), method = m, control = ctrl)
    add_fit(paste0("acitelli_interaction_", m), f, e2)
  }
  # Kenny's distinguishability test: ML fits, distinguishable vs indistinguishable
  d_ml <- gls(Satisfaction_A ~ 0 + husband + wife + husband:OtherPos_A + wife:OtherPos_A +
                husband:OtherPos_P + wife:OtherPos_P, data = aci,
              correlation = corCompSymm(form = ~1 | CoupleID),
              weights = varIdent(form = ~1 | role), method = "ML", control = ctrl)
  i_ml <- gls(Satisfaction_A ~ OtherPos_A + OtherPos_P, data = aci,
              correlation = corCompSymm(form = ~1 | CoupleID), method = "ML", control = ctrl)
  a <- anova(i_ml, d_ml)
  print(a)
  lrt[["acitelli"]] <- data.frame(data = "acitelli", df = diff(a$df), statistic = a$L.Ratio[2],
                                  p_value = a$"p-value"[2])
  # random-intercept lme: the same model when rho >= 0
  l <- lme(Satisfaction_A ~ OtherPos_A + OtherPos_P, random = ~1 | CoupleID, data = aci,
           method = "REML", control = lmeControl(tolerance = 1e-10, msTol = 1e-12))
  print(summary(l))
  vc <- as.numeric(VarCorr(l)[, "Variance"])
  tt <- summary(l)$tTable
  coefs[["acitelli_lme_REML"]] <- data.frame(model = "acitelli_lme_REML", term = rownames(tt),
                                             estimate = tt[, 1], se = tt[, 2], statistic = tt[, 4],
                                             df = tt[, 3], p_value = tt[, 5])
  fits[["acitelli_lme_REML"]] <- data.frame(model = "acitelli_lme_REML", method = "REML",
                                            n = nrow(aci), rho = vc[1] / sum(vc),
                                            sigma = sqrt(sum(vc)), delta = 1,
                                            loglik = as.numeric(logLik(l)), aic = AIC(l),
                                            bic = BIC(l), sigma_empty = NA, rho_empty = NA)
  # nonindependence of satisfaction
  rp <- cor(aci$Satisfaction_A, aci$Satisfaction_P)
  n <- nrow(aci) / 2
  icc[["aci_pairwise"]] <- data.frame(data = "acitelli", kind = "pairwise", estimate = rp,
                                      statistic = rp * sqrt(n), df = NA,
                                      p_value = 2 * pnorm(-abs(rp * sqrt(n))), ci_low = NA, ci_high = NA)
  one <- aci[aci$Gender_A == -1, ]  # one row per couple: wife = A, husband = P
  mm <- rowMeans(one[, c("Satisfaction_A", "Satisfaction_P")])
  msb <- 2 * var(mm)
  msw <- sum((one$Satisfaction_A - one$Satisfaction_P)^2) / 2 / n
  ri <- (msb - msw) / (msb + msw)
  fstat <- if (msb >= msw) msb / msw else msw / msb
  df1 <- if (msb >= msw) n - 1 else n
  df2 <- if (msb >= msw) n else n - 1
  b <- icc1_ci(one$Satisfaction_A, one$Satisfaction_P)
  icc[["aci_anova"]] <- data.frame(data = "acitelli", kind = "anova", estimate = ri,
                                   statistic = fstat, df = df1, p_value = 2 * pf(fstat, df1, df2, lower.tail = FALSE),
                                   ci_low = b[1], ci_high = b[2])
  ct <- cor.test(one$Satisfaction_A, one$Satisfaction_P)
  icc[["aci_pearson"]] <- data.frame(data = "acitelli", kind = "pearson", estimate = ct$estimate[[1]],
                                     statistic = ct$statistic[[1]], df = ct$parameter[[1]],
                                     p_value = ct$p.value, ci_low = ct$conf.int[1], ci_high = ct$conf.int[2])
  print(icc)
}

# ---------------------------------------------------------------- negative within-dyad correlation
set.seed(6061)
nd <- 250
w <- rnorm(nd)
x <- matrix(rnorm(2 * nd), nd, 2)
r <- -0.45
e1 <- rnorm(nd); e2 <- r * e1 + sqrt(1 - r^2) * rnorm(nd)
e <- cbind(e1, e2) * 1.2
y <- 2 + 0.5 * x + 0.2 * x[, 2:1] + 0.3 * w + e
neg <- data.frame(dyad = rep(1:nd, each = 2), person = rep(1:2, nd),
                  x = round(as.vector(t(x)), 6), w = round(rep(w, each = 2), 6),
                  y = round(as.vector(t(y)), 6))
write_fixture(neg, "apim_negative_data.csv")
negp <- pairwise(neg, "dyad", "person")
negp$w <- negp$w_A
for (m in c("REML", "ML")) {
  e <- gls(y_A ~ 1, data = negp, correlation = corCompSymm(form = ~1 | dyad), method = m, control = ctrl)
  f <- gls(y_A ~ x_A + x_P, data = negp, correlation = corCompSymm(form = ~1 | dyad),
           method = m, control = ctrl)
  add_fit(paste0("negative_indist_", m), f, e)
  f <- gls(y_A ~ x_A + x_P + w + x_A:w, data = negp, correlation = corCompSymm(form = ~1 | dyad),
           method = m, control = ctrl)
  add_fit(paste0("negative_moderated_", m), f, e)
}
rp <- cor(negp$y_A, negp$y_P)
icc[["neg_pairwise"]] <- data.frame(data = "negative", kind = "pairwise", estimate = rp,
                                    statistic = rp * sqrt(nd), df = NA,
                                    p_value = 2 * pnorm(-abs(rp * sqrt(nd))), ci_low = NA, ci_high = NA)
one <- negp[negp$person == 1, ]
mm <- rowMeans(one[, c("y_A", "y_P")])
msb <- 2 * var(mm)
msw <- sum((one$y_A - one$y_P)^2) / 2 / nd
ri <- (msb - msw) / (msb + msw)
fstat <- if (msb >= msw) msb / msw else msw / msb
df1 <- if (msb >= msw) nd - 1 else nd
df2 <- if (msb >= msw) nd else nd - 1
b <- icc1_ci(one$y_A, one$y_P)
icc[["neg_anova"]] <- data.frame(data = "negative", kind = "anova", estimate = ri, statistic = fstat,
                                 df = df1, p_value = 2 * pf(fstat, df1, df2, lower.tail = FALSE),
                                 ci_low = b[1], ci_high = b[2])

# ---------------------------------------------------------------- incomplete, distinguishable
set.seed(6062)
nd <- 180
x <- matrix(rnorm(2 * nd), nd, 2)  # column 1 woman, column 2 man
r <- 0.35
e1 <- rnorm(nd); e2 <- r * e1 + sqrt(1 - r^2) * rnorm(nd)
e <- cbind(e1, 1.6 * e2)
y <- cbind(1 + 0.4 * x[, 1] + 0.1 * x[, 2], 1.5 + 0.25 * x[, 2] + 0.3 * x[, 1]) + e
inc <- data.frame(dyad = rep(1:nd, each = 2), role = rep(c("woman", "man"), nd),
                  x = round(as.vector(t(x)), 6), y = round(as.vector(t(y)), 6))
inc$y[sample(nrow(inc), 12)] <- NA
gone <- sample(nd, 6)
inc <- inc[!(inc$dyad %in% gone & inc$role == "man"), ]
write_fixture(inc, "apim_incomplete_data.csv")
incp <- pairwise(inc, "dyad", "role")
incp <- incp[!is.na(incp$y_A) & !is.na(incp$x_A) & !is.na(incp$x_P), ]
cat("incomplete set: rows used", nrow(incp), "; one-member dyads", sum(table(incp$dyad) == 1), "\n")
incp$role <- factor(incp$role, levels = c("man", "woman"))
incp$man <- as.numeric(incp$role == "man")
incp$woman <- as.numeric(incp$role == "woman")
for (m in c("REML", "ML")) {
  e <- gls(y_A ~ 1, data = incp, correlation = corCompSymm(form = ~1 | dyad), method = m, control = ctrl)
  f <- gls(y_A ~ x_A + x_P, data = incp, correlation = corCompSymm(form = ~1 | dyad),
           method = m, control = ctrl)
  add_fit(paste0("incomplete_indist_", m), f, e)
  e2 <- gls(y_A ~ 0 + man + woman, data = incp, correlation = corCompSymm(form = ~1 | dyad),
            weights = varIdent(form = ~1 | role), method = m, control = ctrl)
  f <- gls(y_A ~ 0 + man + woman + man:x_A + woman:x_A + man:x_P + woman:x_P, data = incp,
           correlation = corCompSymm(form = ~1 | dyad), weights = varIdent(form = ~1 | role),
           method = m, control = ctrl)
  add_fit(paste0("incomplete_twoint_", m), f, e2)
}
i_ml <- gls(y_A ~ x_A + x_P, data = incp, correlation = corCompSymm(form = ~1 | dyad),
            method = "ML", control = ctrl)
d_ml <- gls(y_A ~ 0 + man + woman + man:x_A + woman:x_A + man:x_P + woman:x_P, data = incp,
            correlation = corCompSymm(form = ~1 | dyad), weights = varIdent(form = ~1 | role),
            method = "ML", control = ctrl)
a <- anova(i_ml, d_ml)
print(a)
lrt[["incomplete"]] <- data.frame(data = "incomplete", df = diff(a$df), statistic = a$L.Ratio[2],
                                  p_value = a$"p-value"[2])

write_fixture(do.call(rbind, coefs), "apim_coefficients.csv")
write_fixture(do.call(rbind, fits), "apim_fit.csv")
write_fixture(do.call(rbind, icc), "apim_icc.csv")
write_fixture(do.call(rbind, lrt), "apim_lrt.csv")
sessionInfo()
