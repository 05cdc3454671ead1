# Reference values for src/analysis/models/process_moderation.py and process_mediation.py (tests/test_moderation.py,
# tests/test_mediation.py). Run: cd tests/reference && R CMD BATCH --no-save --no-restore process.R
# Writes
#   process_tal_or.csv     psych::Tal_Or (Tal-Or, Cohen, Tsfati & Gunther, 2010; Hayes 2018 ch. 3 "pmi")
#                          plus hi = as.integer(reaction > 3), a binary outcome for the logistic case
#   process_estimates.csv  fixture, quantity, value: lm / glm point estimates, products of paths,
#                          Johnson-Neyman roots, probe values (exact: compared to 1e-6)
#   process_boot.csv       fixture, quantity, estimate, se, ci_low, ci_high: boot::boot percentile
#                          intervals, R = 5000 (Monte-Carlo: compared within MC error)
# process_disaster.csv (Hayes 2018 ch. 7, disaster data, from the book's data files) is read, not written.
library(psych)
library(sandwich)
library(boot)
options(digits = 15)
cat("R", R.version$major, R.version$minor, "psych", as.character(packageVersion("psych")),
    "boot", as.character(packageVersion("boot")), "sandwich", as.character(packageVersion("sandwich")), "\n")

d <- psych::Tal_Or
d$hi <- as.integer(d$reaction > 3)
write.csv(d, "process_tal_or.csv", row.names = FALSE)
dis <- read.csv("process_disaster.csv")

est <- data.frame(fixture = character(), quantity = character(), value = numeric())
add <- function(fixture, quantity, value) {
  est <<- rbind(est, data.frame(fixture = fixture, quantity = quantity, value = unname(value)))
}
add_lm <- function(fixture, fit, vc = vcov(fit)) {
  cf <- coef(fit); se <- sqrt(diag(vc))
  for (nm in names(cf)) {
    add(fixture, paste0("b:", nm), cf[[nm]])
    add(fixture, paste0("se:", nm), se[[nm]])
  }
}
q6 <- function(v) quantile(v, c(.16, .5, .84), type = 6, names = FALSE)  # PROCESS's percentiles

## ---- model 4, Tal-Or: X = cond, M = pmi, Y = reaction (Hayes 2018, sec. 3.3) -------------
m4a <- lm(pmi ~ cond, d); m4b <- lm(reaction ~ cond + pmi, d); m4c <- lm(reaction ~ cond, d)
add_lm("m4_pmi", m4a); add_lm("m4_reaction", m4b); add_lm("m4_total", m4c)
ind <- coef(m4a)[["cond"]] * coef(m4b)[["pmi"]]
add("m4", "indirect", ind)
add("m4", "std_indirect", ind * sd(d$cond) / sd(d$reaction))
add("m4", "r2_reaction", summary(m4b)$r.squared)
print(summary(m4a)); print(summary(m4b)); print(summary(m4c))

## ---- model 4 with covariates gender and age (in every equation, PROCESS's default) ------------
m4ca <- lm(pmi ~ cond + gender + age, d); m4cb <- lm(reaction ~ cond + pmi + gender + age, d)
add_lm("m4cov_pmi", m4ca); add_lm("m4cov_reaction", m4cb)
add("m4cov", "indirect", coef(m4ca)[["cond"]] * coef(m4cb)[["pmi"]])

## ---- parallel mediation: pmi and import ----------------------------------------------------------
pa1 <- lm(pmi ~ cond, d); pa2 <- lm(import ~ cond, d); pb <- lm(reaction ~ cond + pmi + import, d)
add_lm("par_reaction", pb); add_lm("par_import", pa2)
add("par", "ind_pmi", coef(pa1)[["cond"]] * coef(pb)[["pmi"]])
add("par", "ind_import", coef(pa2)[["cond"]] * coef(pb)[["import"]])

## ---- serial mediation (model 6): cond -> import -> pmi -> reaction (Hayes 2018, sec. 5.4 order) -----
s1 <- lm(import ~ cond, d); s2 <- lm(pmi ~ cond + import, d); s3 <- lm(reaction ~ cond + import + pmi, d)
add_lm("ser_pmi", s2); add_lm("ser_reaction", s3)
a1 <- coef(s1)[["cond"]]; a2 <- coef(s2)[["cond"]]; d21 <- coef(s2)[["import"]]
b1 <- coef(s3)[["import"]]; b2 <- coef(s3)[["pmi"]]
add("ser", "ind_import", a1 * b1); add("ser", "ind_pmi", a2 * b2); add("ser", "ind_import_pmi", a1 * d21 * b2)
add("ser", "total_indirect", a1 * b1 + a2 * b2 + a1 * d21 * b2)

## ---- model 7, W = age moderates a: pmi ~ cond * age; reaction ~ cond + pmi -----------------------
m7a <- lm(pmi ~ cond * age, d); m7b <- lm(reaction ~ cond + pmi, d)
add_lm("m7_pmi", m7a)
wv <- q6(d$age)
for (i in 1:3) {
  add("m7", paste0("w", i), wv[i])
  add("m7", paste0("cond_ind", i), (coef(m7a)[["cond"]] + coef(m7a)[["cond:age"]] * wv[i]) * coef(m7b)[["pmi"]])
}
add("m7", "index", coef(m7a)[["cond:age"]] * coef(m7b)[["pmi"]])

## ---- model 14, W = age moderates b: pmi ~ cond; reaction ~ cond + pmi * age ---------------------
m14a <- lm(pmi ~ cond, d); m14b <- lm(reaction ~ cond + pmi + age + pmi:age, d)
add_lm("m14_reaction", m14b)
for (i in 1:3) {
  add("m14", paste0("cond_ind", i), coef(m14a)[["cond"]] * (coef(m14b)[["pmi"]] + coef(m14b)[["pmi:age"]] * wv[i]))
}
add("m14", "index", coef(m14a)[["cond"]] * coef(m14b)[["pmi:age"]])

## ---- model 4, binary Y (logistic Y equation, as PROCESS) ------------------------------------------
lg <- glm(hi ~ cond + pmi, family = binomial, data = d)
add_lm("m4bin_hi", lg)
add("m4bin", "indirect", coef(m4a)[["cond"]] * coef(lg)[["pmi"]])

## ---- model 1, disaster data: justify ~ frame * skeptic (Hayes 2018, ch. 7) -------------------------
jn_roots <- function(b, V, i0, i1, crit, range) {
  qa <- b[i1]^2 - crit^2 * V[i1, i1]; qb <- 2 * (b[i0] * b[i1] - crit^2 * V[i0, i1]); qc <- b[i0]^2 - crit^2 * V[i0, i0]
  r <- sort(Re(polyroot(c(qc, qb, qa))))
  r[r >= range[1] & r <= range[2]]
}
m1 <- lm(justify ~ frame * skeptic, dis)
add_lm("m1", m1)
add_lm("m1_hc3", m1, vcovHC(m1, type = "HC3"))
crit <- qt(.975, df.residual(m1))
for (vcname in c("ols", "hc3")) {
  V <- if (vcname == "ols") vcov(m1) else vcovHC(m1, type = "HC3")
  r <- jn_roots(coef(m1), V, "frame", "frame:skeptic", crit, range(dis$skeptic))
  for (i in seq_along(r)) {
    add(paste0("m1_jn_", vcname), paste0("root", i), r[i])
    add(paste0("m1_jn_", vcname), paste0("pct_below", i), 100 * mean(dis$skeptic < r[i]))
  }
}
wd <- q6(dis$skeptic)
for (i in 1:3) {
  g <- c(0, 1, 0, wd[i])
  add("m1", paste0("w", i), wd[i])
  add("m1", paste0("theta", i), sum(g * coef(m1)))
  add("m1", paste0("theta_se", i), sqrt(drop(t(g) %*% vcov(m1) %*% g)))
}
r2_red <- summary(lm(justify ~ frame + skeptic, dis))$r.squared
add("m1", "r2_change", summary(m1)$r.squared - r2_red)
print(summary(m1))

## ---- model 1 centred; model 3 on Tal-Or: reaction ~ cond * pmi * age -------------------------------
dc <- dis; dc$frame <- dc$frame - mean(dc$frame); dc$skeptic <- dc$skeptic - mean(dc$skeptic)
add_lm("m1c", lm(justify ~ frame * skeptic, dc))
m3 <- lm(reaction ~ cond * pmi * age, d)
add_lm("m3", m3)
crit3 <- qt(.975, df.residual(m3))
r3 <- jn_roots(coef(m3), vcov(m3), "cond:pmi", "cond:pmi:age", crit3, range(d$age))
for (i in seq_along(r3)) add("m3_jn", paste0("root", i), r3[i])
add("m3_jn", "n_roots", length(r3))
print(summary(m3))
write.csv(est, "process_estimates.csv", row.names = FALSE)

## ---- bootstrap percentile intervals (Monte-Carlo references) ------------------------------------
set.seed(20260101)
B <- 5000
bt <- data.frame(fixture = character(), quantity = character(), estimate = numeric(), se = numeric(),
                 ci_low = numeric(), ci_high = numeric())
addb <- function(fixture, quantity, b, j = 1) {
  ci <- boot.ci(b, type = "perc", index = j)$percent[4:5]
  bt <<- rbind(bt, data.frame(fixture = fixture, quantity = quantity, estimate = b$t0[j], se = sd(b$t[, j]),
                              ci_low = ci[1], ci_high = ci[2]))
}
f4 <- function(dd, i) { s <- dd[i, ]
  a <- coef(lm(pmi ~ cond, s))[["cond"]]; b <- coef(lm(reaction ~ cond + pmi, s))[["pmi"]]
  c(a * b, a * b * sd(s$cond) / sd(s$reaction)) }
b4 <- boot(d, f4, R = B); addb("m4", "indirect", b4, 1); addb("m4", "std_indirect", b4, 2)
f7 <- function(dd, i) { s <- dd[i, ]
  a <- coef(lm(pmi ~ cond * age, s)); b <- coef(lm(reaction ~ cond + pmi, s))[["pmi"]]
  c(a[["cond:age"]] * b, (a[["cond"]] + a[["cond:age"]] * wv[2]) * b) }
b7 <- boot(d, f7, R = B); addb("m7", "index", b7, 1); addb("m7", "cond_ind2", b7, 2)
f14 <- function(dd, i) { s <- dd[i, ]
  a <- coef(lm(pmi ~ cond, s))[["cond"]]; b <- coef(lm(reaction ~ cond + pmi + age + pmi:age, s))
  c(a * b[["pmi:age"]], a * (b[["pmi"]] + b[["pmi:age"]] * wv[2])) }
b14 <- boot(d, f14, R = B); addb("m14", "index", b14, 1); addb("m14", "cond_ind2", b14, 2)
write.csv(bt, "process_boot.csv", row.names = FALSE)
print(est)
print(bt)
