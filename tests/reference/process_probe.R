# Reference values for the probing, model 8, contrasts, Sobel tests and total-effect models of
# src/analysis/models/process_moderation.py and process_mediation.py (tests/test_moderation.py,
# tests/test_mediation.py). Run: cd tests/reference && R CMD BATCH --no-save --no-restore process_probe.R
# Reads process_tal_or.csv (psych::Tal_Or, written by process.R) and process_disaster.csv (Hayes 2018).
# Writes
#   process_probe_estimates.csv  fixture, quantity, value: lm point estimates and SEs, probe values
#                                (quantile type 6; mean -/+ sd), conditional (indirect, direct) effects,
#                                contrasts, Sobel tests, total-effect models (exact: compared to 1e-8)
#   process_probe_boot.csv       fixture, quantity, estimate, se, ci_low, ci_high: boot::boot percentile
#                                intervals, R = 5000 (Monte-Carlo: compared within MC error)
# Published: Hayes (2018), ch. 12, model 8 on the disaster data (X = frame, M = justify, Y = donate,
# W = skeptic): conditional indirect effects .224, -.001, -.446 at skeptic = 1.592, 2.800, 5.200.
library(boot)
options(digits = 15)
cat("R", R.version$major, R.version$minor, "boot", as.character(packageVersion("boot")), "\n")

d <- read.csv("process_tal_or.csv")
dis <- read.csv("process_disaster.csv")
est <- data.frame(fixture = character(), quantity = character(), value = numeric())
add <- function(fixture, quantity, value) {
  est <<- rbind(est, data.frame(fixture = fixture, quantity = quantity, value = unname(value)))
}
add_lm <- function(fixture, fit) {
  cf <- coef(fit); se <- sqrt(diag(vcov(fit)))
  for (nm in names(cf)) { add(fixture, paste0("b:", nm), cf[[nm]]); add(fixture, paste0("se:", nm), se[[nm]]) }
}
q6 <- function(v) quantile(v, c(.16, .5, .84), type = 6, names = FALSE)  # PROCESS's percentiles
msd <- function(v) mean(v) + c(-1, 0, 1) * sd(v)                         # PROCESS moments = 1
lin <- function(fit, g) {  # estimate, SE and t-based CI of the linear combination g'b
  e <- sum(g * coef(fit)); s <- sqrt(drop(t(g) %*% vcov(fit) %*% g)); cr <- qt(.975, df.residual(fit))
  c(e, s, e - cr * s, e + cr * s)
}

## ---- model 8, disaster: justify ~ frame * skeptic; donate ~ frame + justify + skeptic + frame:skeptic ----
m8a <- lm(justify ~ frame * skeptic, dis); m8b <- lm(donate ~ frame + justify + skeptic + frame:skeptic, dis)
add_lm("m8_justify", m8a); add_lm("m8_donate", m8b)
a1 <- coef(m8a)[["frame"]]; a3 <- coef(m8a)[["frame:skeptic"]]; b8 <- coef(m8b)[["justify"]]
add("m8", "index", a3 * b8)
rules <- list(pct = q6(dis$skeptic), msd = msd(dis$skeptic), val = c(2, 4, 6))
for (r in names(rules)) for (i in 1:3) {
  w <- rules[[r]][i]
  add("m8", paste0(r, "_w", i), w)
  add("m8", paste0(r, "_ind", i), (a1 + a3 * w) * b8)
  g <- c(0, 1, 0, 0, w)  # (Intercept), frame, justify, skeptic, frame:skeptic
  dd <- lin(m8b, g)
  add("m8", paste0(r, "_dir", i), dd[1]); add("m8", paste0(r, "_dir_se", i), dd[2])
  add("m8", paste0(r, "_dir_lo", i), dd[3]); add("m8", paste0(r, "_dir_hi", i), dd[4])
}
print(summary(m8a)); print(summary(m8b))

## ---- models 7 and 14, Tal-Or, W = age: probed at mean -/+ SD and at chosen ages -------------------------
m7a <- lm(pmi ~ cond * age, d); m7b <- lm(reaction ~ cond + pmi, d)
m14a <- lm(pmi ~ cond, d); m14b <- lm(reaction ~ cond + pmi + age + pmi:age, d)
ages <- list(msd = msd(d$age), val = c(25, 35, 50))
for (r in names(ages)) for (i in 1:3) {
  w <- ages[[r]][i]
  add("m7", paste0(r, "_w", i), w)
  add("m7", paste0(r, "_ind", i), (coef(m7a)[["cond"]] + coef(m7a)[["cond:age"]] * w) * coef(m7b)[["pmi"]])
  add("m14", paste0(r, "_ind", i), coef(m14a)[["cond"]] * (coef(m14b)[["pmi"]] + coef(m14b)[["pmi:age"]] * w))
}

## ---- model 1, disaster: conditional effect of frame at mean -/+ SD and at chosen skeptic values --------
m1 <- lm(justify ~ frame * skeptic, dis)
for (r in c("msd", "val")) for (i in 1:3) {
  w <- rules[[r]][i]
  e <- lin(m1, c(0, 1, 0, w))
  add("m1", paste0(r, "_theta", i), e[1]); add("m1", paste0(r, "_theta_se", i), e[2])
  add("m1", paste0(r, "_theta_lo", i), e[3]); add("m1", paste0(r, "_theta_hi", i), e[4])
}

## ---- model 3, Tal-Or: reaction ~ cond * pmi * age; W = pmi at 4 and 6, Z = age at mean -/+ SD -----------
m3 <- lm(reaction ~ cond * pmi * age, d)
zs <- msd(d$age)
for (j in 1:3) for (i in 1:2) {
  w <- c(4, 6)[i]; z <- zs[j]
  # (Intercept) cond pmi age cond:pmi cond:age pmi:age cond:pmi:age
  e <- lin(m3, c(0, 1, 0, 0, w, z, 0, w * z))
  add("m3", paste0("val_theta_w", i, "_z", j), e[1]); add("m3", paste0("val_theta_se_w", i, "_z", j), e[2])
}
for (j in 1:3) add("m3", paste0("msd_z", j), zs[j])

## ---- parallel (pmi, import) and serial (import -> pmi) mediation: contrasts; Sobel; total-effect model ---
pa1 <- lm(pmi ~ cond, d); pa2 <- lm(import ~ cond, d); pb <- lm(reaction ~ cond + pmi + import, d)
i_pmi <- coef(pa1)[["cond"]] * coef(pb)[["pmi"]]; i_imp <- coef(pa2)[["cond"]] * coef(pb)[["import"]]
add("par", "contrast_pmi_import", i_pmi - i_imp)
sobel <- function(fa, fb, x, m) {
  a <- coef(fa)[[x]]; b <- coef(fb)[[m]]
  sa <- sqrt(vcov(fa)[x, x]); sb <- sqrt(vcov(fb)[m, m])
  se <- sqrt(a^2 * sb^2 + b^2 * sa^2 + sa^2 * sb^2); z <- a * b / se  # PROCESS normal=1 (process.sps sesobel)
  c(a * b, se, z, 2 * pnorm(-abs(z)), a * b - qnorm(.975) * se, a * b + qnorm(.975) * se)
}
put_sobel <- function(fixture, s) {
  for (k in 1:6) add(fixture, c("estimate", "se", "z", "p", "ci_low", "ci_high")[k], s[k])
}
m4a <- lm(pmi ~ cond, d); m4b <- lm(reaction ~ cond + pmi, d)
put_sobel("sobel_m4", sobel(m4a, m4b, "cond", "pmi"))
m4ca <- lm(pmi ~ cond + gender + age, d); m4cb <- lm(reaction ~ cond + pmi + gender + age, d)
put_sobel("sobel_m4cov", sobel(m4ca, m4cb, "cond", "pmi"))
put_sobel("sobel_par_pmi", sobel(pa1, pb, "cond", "pmi"))
put_sobel("sobel_par_import", sobel(pa2, pb, "cond", "import"))
s1 <- lm(import ~ cond, d); s2 <- lm(pmi ~ cond + import, d); s3 <- lm(reaction ~ cond + import + pmi, d)
ser <- c(imp = coef(s1)[["cond"]] * coef(s3)[["import"]], pmi = coef(s2)[["cond"]] * coef(s3)[["pmi"]],
         imp_pmi = coef(s1)[["cond"]] * coef(s2)[["import"]] * coef(s3)[["pmi"]])
add("ser", "contrast_imp_pmi", ser[["imp"]] - ser[["pmi"]])
add("ser", "contrast_imp_imppmi", ser[["imp"]] - ser[["imp_pmi"]])
add("ser", "contrast_pmi_imppmi", ser[["pmi"]] - ser[["imp_pmi"]])
put_total <- function(fixture, fit) {
  add_lm(fixture, fit)
  ci <- confint(fit); sm <- summary(fit); f <- sm$fstatistic
  for (nm in rownames(ci)) { add(fixture, paste0("lo:", nm), ci[nm, 1]); add(fixture, paste0("hi:", nm), ci[nm, 2]) }
  add(fixture, "r2", sm$r.squared); add(fixture, "f", f[["value"]])
  add(fixture, "p", pf(f[["value"]], f[["numdf"]], f[["dendf"]], lower.tail = FALSE))
}
put_total("total_m4", lm(reaction ~ cond, d))
put_total("total_m4cov", lm(reaction ~ cond + gender + age, d))
write.csv(est, "process_probe_estimates.csv", row.names = FALSE)

## ---- bootstrap percentile intervals (Monte-Carlo references) --------------------------------------------
set.seed(20261203)
B <- 5000
bt <- data.frame(fixture = character(), quantity = character(), estimate = numeric(), se = numeric(),
                 ci_low = numeric(), ci_high = numeric())
addb <- function(fixture, quantity, b, j) {
  ci <- boot.ci(b, type = "perc", index = j)$percent[4:5]
  bt <<- rbind(bt, data.frame(fixture = fixture, quantity = quantity, estimate = b$t0[j], se = sd(b$t[, j]),
                              ci_low = ci[1], ci_high = ci[2]))
}
w8 <- q6(dis$skeptic)
f8 <- function(dd, i) { s <- dd[i, ]
  a <- coef(lm(justify ~ frame * skeptic, s)); b <- coef(lm(donate ~ frame + justify + skeptic + frame:skeptic, s))
  c(a[["frame:skeptic"]] * b[["justify"]], (a[["frame"]] + a[["frame:skeptic"]] * w8) * b[["justify"]]) }
b8 <- boot(dis, f8, R = B)
addb("m8", "index", b8, 1); for (i in 1:3) addb("m8", paste0("pct_ind", i), b8, 1 + i)
fpar <- function(dd, i) { s <- dd[i, ]
  b <- coef(lm(reaction ~ cond + pmi + import, s))
  coef(lm(pmi ~ cond, s))[["cond"]] * b[["pmi"]] - coef(lm(import ~ cond, s))[["cond"]] * b[["import"]] }
addb("par", "contrast_pmi_import", boot(d, fpar, R = B), 1)
fser <- function(dd, i) { s <- dd[i, ]
  a1 <- coef(lm(import ~ cond, s))[["cond"]]; a2 <- coef(lm(pmi ~ cond + import, s))
  b <- coef(lm(reaction ~ cond + import + pmi, s))
  e <- c(a1 * b[["import"]], a2[["cond"]] * b[["pmi"]], a1 * a2[["import"]] * b[["pmi"]])
  c(e[1] - e[2], e[1] - e[3], e[2] - e[3]) }
bs <- boot(d, fser, R = B)
addb("ser", "contrast_imp_pmi", bs, 1); addb("ser", "contrast_imp_imppmi", bs, 2)
addb("ser", "contrast_pmi_imppmi", bs, 3)
write.csv(bt, "process_probe_boot.csv", row.names = FALSE)
print(est)
print(bt)
