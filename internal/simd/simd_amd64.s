//go:build amd64 && !purego

#include "textflag.h"

// Each kernel's arithmetic is stated in simd.go, beside its Go version;
// these follow it instruction for instruction.

// func dotRows4AVX(x *float64, stride int, w *float64, n int, out *[4]float64)
TEXT ·dotRows4AVX(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ stride+8(FP), BX
	SHLQ $3, BX
	MOVQ w+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DX
	LEAQ (SI)(BX*1), R8
	LEAQ (R8)(BX*1), R9
	LEAQ (R9)(BX*1), R10
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ AX, AX
	MOVQ CX, R11
	ANDQ $-4, R11

dr4loop:
	CMPQ AX, R11
	JGE  dr4reduce
	VMOVUPD     (DI)(AX*8), Y4
	VFMADD231PD (SI)(AX*8), Y4, Y0
	VFMADD231PD (R8)(AX*8), Y4, Y1
	VFMADD231PD (R9)(AX*8), Y4, Y2
	VFMADD231PD (R10)(AX*8), Y4, Y3
	ADDQ        $4, AX
	JMP         dr4loop

dr4reduce:
	// (l0+l2)+(l1+l3) per accumulator.
	VEXTRACTF128 $1, Y0, X4
	VADDPD       X4, X0, X0
	VPERMILPD    $1, X0, X4
	VADDSD       X4, X0, X0
	VEXTRACTF128 $1, Y1, X4
	VADDPD       X4, X1, X1
	VPERMILPD    $1, X1, X4
	VADDSD       X4, X1, X1
	VEXTRACTF128 $1, Y2, X4
	VADDPD       X4, X2, X2
	VPERMILPD    $1, X2, X4
	VADDSD       X4, X2, X2
	VEXTRACTF128 $1, Y3, X4
	VADDPD       X4, X3, X3
	VPERMILPD    $1, X3, X4
	VADDSD       X4, X3, X3

dr4tail:
	CMPQ AX, CX
	JGE  dr4done
	VMOVSD      (DI)(AX*8), X4
	VFMADD231SD (SI)(AX*8), X4, X0
	VFMADD231SD (R8)(AX*8), X4, X1
	VFMADD231SD (R9)(AX*8), X4, X2
	VFMADD231SD (R10)(AX*8), X4, X3
	INCQ        AX
	JMP         dr4tail

dr4done:
	VMOVSD X0, 0(DX)
	VMOVSD X1, 8(DX)
	VMOVSD X2, 16(DX)
	VMOVSD X3, 24(DX)
	VZEROUPPER
	RET

// func axpyAVX(a float64, x, y *float64, n int)
TEXT ·axpyAVX(SB), NOSPLIT, $0-32
	VBROADCASTSD a+0(FP), Y4
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	XORQ         AX, AX
	MOVQ         CX, R11
	ANDQ         $-8, R11

axloop8:
	CMPQ AX, R11
	JGE  axloop4
	VMOVUPD     (DI)(AX*8), Y0
	VMOVUPD     32(DI)(AX*8), Y1
	VFMADD231PD (SI)(AX*8), Y4, Y0
	VFMADD231PD 32(SI)(AX*8), Y4, Y1
	VMOVUPD     Y0, (DI)(AX*8)
	VMOVUPD     Y1, 32(DI)(AX*8)
	ADDQ        $8, AX
	JMP         axloop8

axloop4:
	MOVQ CX, R11
	ANDQ $-4, R11
	CMPQ AX, R11
	JGE  axtail
	VMOVUPD     (DI)(AX*8), Y0
	VFMADD231PD (SI)(AX*8), Y4, Y0
	VMOVUPD     Y0, (DI)(AX*8)
	ADDQ        $4, AX

axtail:
	CMPQ AX, CX
	JGE  axdone
	VMOVSD      (DI)(AX*8), X0
	VFMADD231SD (SI)(AX*8), X4, X0
	VMOVSD      X0, (DI)(AX*8)
	INCQ        AX
	JMP         axtail

axdone:
	VZEROUPPER
	RET

// func axpyRows4AVX(a *[4]float64, x *float64, stride int, y *float64, n int)
TEXT ·axpyRows4AVX(SB), NOSPLIT, $0-40
	MOVQ         a+0(FP), DX
	VBROADCASTSD 0(DX), Y4
	VBROADCASTSD 8(DX), Y5
	VBROADCASTSD 16(DX), Y6
	VBROADCASTSD 24(DX), Y7
	MOVQ         x+8(FP), SI
	MOVQ         stride+16(FP), BX
	SHLQ         $3, BX
	MOVQ         y+24(FP), DI
	MOVQ         n+32(FP), CX
	LEAQ         (SI)(BX*1), R8
	LEAQ         (R8)(BX*1), R9
	LEAQ         (R9)(BX*1), R10
	XORQ         AX, AX
	MOVQ         CX, R11
	ANDQ         $-8, R11

ar4loop8:
	CMPQ AX, R11
	JGE  ar4loop4
	VMOVUPD     (DI)(AX*8), Y0
	VMOVUPD     32(DI)(AX*8), Y1
	VFMADD231PD (SI)(AX*8), Y4, Y0
	VFMADD231PD 32(SI)(AX*8), Y4, Y1
	VFMADD231PD (R8)(AX*8), Y5, Y0
	VFMADD231PD 32(R8)(AX*8), Y5, Y1
	VFMADD231PD (R9)(AX*8), Y6, Y0
	VFMADD231PD 32(R9)(AX*8), Y6, Y1
	VFMADD231PD (R10)(AX*8), Y7, Y0
	VFMADD231PD 32(R10)(AX*8), Y7, Y1
	VMOVUPD     Y0, (DI)(AX*8)
	VMOVUPD     Y1, 32(DI)(AX*8)
	ADDQ        $8, AX
	JMP         ar4loop8

ar4loop4:
	MOVQ CX, R11
	ANDQ $-4, R11
	CMPQ AX, R11
	JGE  ar4tail
	VMOVUPD     (DI)(AX*8), Y0
	VFMADD231PD (SI)(AX*8), Y4, Y0
	VFMADD231PD (R8)(AX*8), Y5, Y0
	VFMADD231PD (R9)(AX*8), Y6, Y0
	VFMADD231PD (R10)(AX*8), Y7, Y0
	VMOVUPD     Y0, (DI)(AX*8)
	ADDQ        $4, AX

ar4tail:
	CMPQ AX, CX
	JGE  ar4done
	VMOVSD      (DI)(AX*8), X0
	VFMADD231SD (SI)(AX*8), X4, X0
	VFMADD231SD (R8)(AX*8), X5, X0
	VFMADD231SD (R9)(AX*8), X6, X0
	VFMADD231SD (R10)(AX*8), X7, X0
	VMOVSD      X0, (DI)(AX*8)
	INCQ        AX
	JMP         ar4tail

ar4done:
	VZEROUPPER
	RET

// func dot32AVX(x, y *float32, n int) float32
TEXT ·dot32AVX(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ   AX, AX
	MOVQ   CX, R11
	ANDQ   $-32, R11

d32loop32:
	CMPQ AX, R11
	JGE  d32loop8
	VMOVUPS     (SI)(AX*4), Y4
	VMOVUPS     32(SI)(AX*4), Y5
	VMOVUPS     64(SI)(AX*4), Y6
	VMOVUPS     96(SI)(AX*4), Y7
	VFMADD231PS (DI)(AX*4), Y4, Y0
	VFMADD231PS 32(DI)(AX*4), Y5, Y1
	VFMADD231PS 64(DI)(AX*4), Y6, Y2
	VFMADD231PS 96(DI)(AX*4), Y7, Y3
	ADDQ        $32, AX
	JMP         d32loop32

d32loop8:
	MOVQ CX, R11
	ANDQ $-8, R11

d32loop8b:
	CMPQ AX, R11
	JGE  d32reduce
	VMOVUPS     (SI)(AX*4), Y4
	VFMADD231PS (DI)(AX*4), Y4, Y0
	ADDQ        $8, AX
	JMP         d32loop8b

d32reduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0   // m_l = v_l + v_{l+4}
	VMOVHLPS     X0, X1, X1   // X1 low = [m2, m3]
	VADDPS       X1, X0, X0   // [m0+m2, m1+m3]
	VMOVSHDUP    X0, X1       // X1 low = m1+m3
	VADDSS       X1, X0, X0

d32tail:
	CMPQ AX, CX
	JGE  d32done
	VMOVSS      (SI)(AX*4), X4
	VFMADD231SS (DI)(AX*4), X4, X0
	INCQ        AX
	JMP         d32tail

d32done:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func axpy32AVX(a float32, x, y *float32, n int)
TEXT ·axpy32AVX(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y4
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	XORQ         AX, AX
	MOVQ         CX, R11
	ANDQ         $-16, R11

a32loop16:
	CMPQ AX, R11
	JGE  a32loop8
	VMOVUPS     (DI)(AX*4), Y0
	VMOVUPS     32(DI)(AX*4), Y1
	VFMADD231PS (SI)(AX*4), Y4, Y0
	VFMADD231PS 32(SI)(AX*4), Y4, Y1
	VMOVUPS     Y0, (DI)(AX*4)
	VMOVUPS     Y1, 32(DI)(AX*4)
	ADDQ        $16, AX
	JMP         a32loop16

a32loop8:
	MOVQ CX, R11
	ANDQ $-8, R11
	CMPQ AX, R11
	JGE  a32tail
	VMOVUPS     (DI)(AX*4), Y0
	VFMADD231PS (SI)(AX*4), Y4, Y0
	VMOVUPS     Y0, (DI)(AX*4)
	ADDQ        $8, AX

a32tail:
	CMPQ AX, CX
	JGE  a32done
	VMOVSS      (DI)(AX*4), X0
	VFMADD231SS (SI)(AX*4), X4, X0
	VMOVSS      X0, (DI)(AX*4)
	INCQ        AX
	JMP         a32tail

a32done:
	VZEROUPPER
	RET

// func axpyRows4x2AVX(a0, a1 *[4]float64, x *float64, stride int, y0, y1 *float64, n int)
TEXT ·axpyRows4x2AVX(SB), NOSPLIT, $0-56
	MOVQ         a0+0(FP), DX
	VBROADCASTSD 0(DX), Y4
	VBROADCASTSD 8(DX), Y5
	VBROADCASTSD 16(DX), Y6
	VBROADCASTSD 24(DX), Y7
	MOVQ         a1+8(FP), DX
	VBROADCASTSD 0(DX), Y8
	VBROADCASTSD 8(DX), Y9
	VBROADCASTSD 16(DX), Y10
	VBROADCASTSD 24(DX), Y11
	MOVQ         x+16(FP), SI
	MOVQ         stride+24(FP), BX
	SHLQ         $3, BX
	MOVQ         y0+32(FP), DI
	MOVQ         y1+40(FP), DX
	MOVQ         n+48(FP), CX
	LEAQ         (SI)(BX*1), R8
	LEAQ         (R8)(BX*1), R9
	LEAQ         (R9)(BX*1), R10
	XORQ         AX, AX
	MOVQ         CX, R11
	ANDQ         $-4, R11

a42loop:
	CMPQ AX, R11
	JGE  a42tail
	VMOVUPD     (DI)(AX*8), Y0
	VMOVUPD     (DX)(AX*8), Y1
	VMOVUPD     (SI)(AX*8), Y12
	VFMADD231PD Y12, Y4, Y0
	VFMADD231PD Y12, Y8, Y1
	VMOVUPD     (R8)(AX*8), Y13
	VFMADD231PD Y13, Y5, Y0
	VFMADD231PD Y13, Y9, Y1
	VMOVUPD     (R9)(AX*8), Y12
	VFMADD231PD Y12, Y6, Y0
	VFMADD231PD Y12, Y10, Y1
	VMOVUPD     (R10)(AX*8), Y13
	VFMADD231PD Y13, Y7, Y0
	VFMADD231PD Y13, Y11, Y1
	VMOVUPD     Y0, (DI)(AX*8)
	VMOVUPD     Y1, (DX)(AX*8)
	ADDQ        $4, AX
	JMP         a42loop

a42tail:
	CMPQ AX, CX
	JGE  a42done
	VMOVSD      (DI)(AX*8), X0
	VMOVSD      (DX)(AX*8), X1
	VMOVSD      (SI)(AX*8), X12
	VFMADD231SD X12, X4, X0
	VFMADD231SD X12, X8, X1
	VMOVSD      (R8)(AX*8), X13
	VFMADD231SD X13, X5, X0
	VFMADD231SD X13, X9, X1
	VMOVSD      (R9)(AX*8), X12
	VFMADD231SD X12, X6, X0
	VFMADD231SD X12, X10, X1
	VMOVSD      (R10)(AX*8), X13
	VFMADD231SD X13, X7, X0
	VFMADD231SD X13, X11, X1
	VMOVSD      X0, (DI)(AX*8)
	VMOVSD      X1, (DX)(AX*8)
	INCQ        AX
	JMP         a42tail

a42done:
	VZEROUPPER
	RET

// func dotRows4x2AccAVX(x *float64, stride int, w0, w1 *float64, n int, acc *[32]float64)
// n is a multiple of 4; the eight 4-lane accumulators are loaded from and
// stored back to acc (rows 0–3 with w0, then with w1).
TEXT ·dotRows4x2AccAVX(SB), NOSPLIT, $0-48
	MOVQ    x+0(FP), SI
	MOVQ    stride+8(FP), BX
	SHLQ    $3, BX
	MOVQ    w0+16(FP), DI
	MOVQ    w1+24(FP), DX
	MOVQ    n+32(FP), CX
	MOVQ    acc+40(FP), R11
	LEAQ    (SI)(BX*1), R8
	LEAQ    (R8)(BX*1), R9
	LEAQ    (R9)(BX*1), R10
	VMOVUPD 0(R11), Y0
	VMOVUPD 32(R11), Y1
	VMOVUPD 64(R11), Y2
	VMOVUPD 96(R11), Y3
	VMOVUPD 128(R11), Y4
	VMOVUPD 160(R11), Y5
	VMOVUPD 192(R11), Y6
	VMOVUPD 224(R11), Y7
	XORQ    AX, AX

d42aloop:
	CMPQ AX, CX
	JGE  d42adone
	VMOVUPD     (DI)(AX*8), Y8
	VMOVUPD     (DX)(AX*8), Y9
	VMOVUPD     (SI)(AX*8), Y10
	VFMADD231PD Y10, Y8, Y0
	VFMADD231PD Y10, Y9, Y4
	VMOVUPD     (R8)(AX*8), Y11
	VFMADD231PD Y11, Y8, Y1
	VFMADD231PD Y11, Y9, Y5
	VMOVUPD     (R9)(AX*8), Y12
	VFMADD231PD Y12, Y8, Y2
	VFMADD231PD Y12, Y9, Y6
	VMOVUPD     (R10)(AX*8), Y13
	VFMADD231PD Y13, Y8, Y3
	VFMADD231PD Y13, Y9, Y7
	ADDQ        $4, AX
	JMP         d42aloop

d42adone:
	VMOVUPD Y0, 0(R11)
	VMOVUPD Y1, 32(R11)
	VMOVUPD Y2, 64(R11)
	VMOVUPD Y3, 96(R11)
	VMOVUPD Y4, 128(R11)
	VMOVUPD Y5, 160(R11)
	VMOVUPD Y6, 192(R11)
	VMOVUPD Y7, 224(R11)
	VZEROUPPER
	RET

// func prefetchAVX(p *float64, n int)
TEXT ·prefetchAVX(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	LEAQ (SI)(CX*8), CX

pfloop:
	CMPQ       SI, CX
	JGE        pfdone
	PREFETCHT0 (SI)
	ADDQ       $64, SI
	JMP        pfloop

pfdone:
	RET

// func expAVX(x, out *float64, n int, tab *[18]float64)
// n is a multiple of 4. Exp1's steps, four lanes at a time.
TEXT ·expAVX(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         out+8(FP), DI
	MOVQ         n+16(FP), CX
	MOVQ         tab+24(FP), DX
	VBROADCASTSD 112(DX), Y10
	VBROADCASTSD 120(DX), Y11
	VBROADCASTSD 128(DX), Y12
	VBROADCASTSD 136(DX), Y13
	MOVQ         $1023, AX
	VMOVQ        AX, X14
	VPBROADCASTQ X14, Y14
	XORQ         AX, AX

exploop:
	CMPQ         AX, CX
	JGE          expdone
	VMOVUPD      (SI)(AX*8), Y0
	VMAXPD       Y0, Y10, Y0   // max(expMin, x); NaN stays
	VMULPD       Y11, Y0, Y1
	VROUNDPD     $0, Y1, Y1    // k
	VFNMADD231PD Y12, Y1, Y0   // r = x − k·ln2Hi
	VFNMADD231PD Y13, Y1, Y0   // r −= k·ln2Lo
	VBROADCASTSD 0(DX), Y3
	VBROADCASTSD 8(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VBROADCASTSD 16(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VBROADCASTSD 24(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VBROADCASTSD 32(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VBROADCASTSD 40(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VBROADCASTSD 48(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VBROADCASTSD 56(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VBROADCASTSD 64(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VBROADCASTSD 72(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VBROADCASTSD 80(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VBROADCASTSD 88(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VBROADCASTSD 96(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VBROADCASTSD 104(DX), Y4
	VFMADD213PD  Y4, Y0, Y3
	VCVTPD2DQY   Y1, X5
	VPMOVSXDQ    X5, Y5
	VPADDQ       Y14, Y5, Y5
	VPSLLQ       $52, Y5, Y5   // 2^k
	VMULPD       Y5, Y3, Y3
	VMOVUPD      Y3, (DI)(AX*8)
	ADDQ         $4, AX
	JMP          exploop

expdone:
	VZEROUPPER
	RET

// func log1pAVX(x, out *float64, n int, tab *[16]float64)
// n is a multiple of 4. Log1p1's steps, four lanes at a time.
TEXT ·log1pAVX(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         out+8(FP), DI
	MOVQ         n+16(FP), CX
	MOVQ         tab+24(FP), DX
	VBROADCASTSD 72(DX), Y8
	VBROADCASTSD 80(DX), Y9
	VBROADCASTSD 88(DX), Y10
	VBROADCASTSD 96(DX), Y11
	VBROADCASTSD 104(DX), Y12
	VBROADCASTSD 112(DX), Y13
	VBROADCASTSD 120(DX), Y14
	XORQ         AX, AX

l1ploop:
	CMPQ         AX, CX
	JGE          l1pdone
	VMOVUPD      (SI)(AX*8), Y0
	VADDPD       Y10, Y0, Y1       // u = 1 + x
	VPSRLQ       $52, Y1, Y2
	VPOR         Y12, Y2, Y2
	VSUBPD       Y13, Y2, Y2       // e
	VANDPD       Y14, Y1, Y3
	VORPD        Y10, Y3, Y3       // m in [1, 2)
	VCMPPD       $0x1E, Y8, Y3, Y4 // m > √2
	VMULPD       Y9, Y3, Y5
	VBLENDVPD    Y4, Y5, Y3, Y3
	VANDPD       Y10, Y4, Y5
	VADDPD       Y5, Y2, Y2
	VSUBPD       Y10, Y3, Y3       // f
	VSUBPD       Y10, Y1, Y5
	VSUBPD       Y5, Y0, Y5
	VDIVPD       Y1, Y5, Y5        // c
	VADDPD       Y11, Y3, Y6
	VDIVPD       Y6, Y3, Y6        // s
	VMULPD       Y6, Y6, Y7        // z
	VBROADCASTSD 0(DX), Y15
	VBROADCASTSD 8(DX), Y0
	VFMADD213PD  Y0, Y7, Y15
	VBROADCASTSD 16(DX), Y0
	VFMADD213PD  Y0, Y7, Y15
	VBROADCASTSD 24(DX), Y0
	VFMADD213PD  Y0, Y7, Y15
	VBROADCASTSD 32(DX), Y0
	VFMADD213PD  Y0, Y7, Y15
	VBROADCASTSD 40(DX), Y0
	VFMADD213PD  Y0, Y7, Y15
	VBROADCASTSD 48(DX), Y0
	VFMADD213PD  Y0, Y7, Y15
	VMULPD       Y15, Y7, Y15      // r = z·p
	VMULPD       Y9, Y3, Y0
	VMULPD       Y3, Y0, Y0        // hfsq
	VBROADCASTSD 64(DX), Y1
	VFMADD213PD  Y5, Y2, Y1        // lo = e·ln2Lo + c
	VADDPD       Y15, Y0, Y15
	VFMADD213PD  Y1, Y6, Y15       // s·(hfsq + r) + lo
	VSUBPD       Y15, Y0, Y15
	VSUBPD       Y15, Y3, Y15      // f − (hfsq − …)
	VBROADCASTSD 56(DX), Y1
	VFMADD213PD  Y15, Y2, Y1       // e·ln2Hi + …
	VMOVUPD      Y1, (DI)(AX*8)
	ADDQ         $4, AX
	JMP          l1ploop

l1pdone:
	VZEROUPPER
	RET

// func hist4RowsAVX(h *float64, off *int32, nf int, data *uint8, stride int, rows *int32, nrows int, vecs *float64)
TEXT ·hist4RowsAVX(SB), NOSPLIT, $0-64
	MOVQ h+0(FP), DI
	MOVQ off+8(FP), SI
	MOVQ nf+16(FP), CX
	MOVQ data+24(FP), BX
	MOVQ stride+32(FP), R12
	MOVQ rows+40(FP), R13
	MOVQ nrows+48(FP), R14
	MOVQ vecs+56(FP), DX
	XORQ R15, R15

h4row:
	CMPQ R15, R14
	JGE  h4done
	MOVLQSX (R13)(R15*4), R10
	IMULQ   R12, R10
	ADDQ    BX, R10            // R10: the row's bytes
	VMOVUPD (DX), Y0           // the row's 4 values
	ADDQ    $32, DX
	XORQ    AX, AX
	// Prefetch the row 8 ahead (rows are gathered, not consecutive).
	LEAQ    8(R15), R9
	CMPQ    R9, R14
	JGE     h4feat
	MOVLQSX (R13)(R9*4), R11
	IMULQ   R12, R11
	PREFETCHT0 (BX)(R11*1)

h4feat:
	CMPQ    AX, CX
	JGE     h4next
	MOVLQSX (SI)(AX*4), R8
	MOVBQZX (R10)(AX*1), R9
	ADDQ    R9, R8
	SHLQ    $5, R8
	VADDPD  (DI)(R8*1), Y0, Y1
	VMOVUPD Y1, (DI)(R8*1)
	INCQ    AX
	JMP     h4feat

h4next:
	INCQ R15
	JMP  h4row

h4done:
	VZEROUPPER
	RET

// func hist1GHAVX(h *float64, off *int32, nf int, data *uint8, stride int, rows *int32, nrows int, grad *float64, hs *float64)
TEXT ·hist1GHAVX(SB), NOSPLIT, $0-72
	MOVQ h+0(FP), DI
	MOVQ off+8(FP), SI
	MOVQ nf+16(FP), CX
	MOVQ data+24(FP), BX
	MOVQ stride+32(FP), R12
	MOVQ rows+40(FP), R13
	MOVQ nrows+48(FP), R14
	MOVQ grad+56(FP), DX
	XORQ R15, R15
	MOVQ $0x3FF0000000000000, R8
	VMOVQ    R8, X15
	VMOVDDUP X15, X15           // (1, 1): the count and the weight

ghrow:
	CMPQ R15, R14
	JGE  ghdone
	MOVLQSX (R13)(R15*4), R10   // the row's index i
	VMOVSD  (DX)(R10*8), X1     // g[i]
	MOVQ    hs+64(FP), R11
	TESTQ   R11, R11
	JZ      ghsquare
	VMOVSD  (R11)(R10*8), X2    // hs[i]
	JMP     ghpack

ghsquare:
	VMULSD X1, X1, X2           // g[i]²

ghpack:
	VUNPCKLPD   X2, X1, X1      // (g, h)
	VINSERTF128 $1, X1, Y15, Y0 // (1, 1, g, h)
	IMULQ       R12, R10
	ADDQ        BX, R10         // R10: the row's bytes
	XORQ        AX, AX
	// Prefetch row 8 ahead: its bytes and its values (rows are
	// gathered, not consecutive).
	LEAQ    8(R15), R9
	CMPQ    R9, R14
	JGE     ghfeat
	MOVLQSX (R13)(R9*4), R9
	PREFETCHT0 (DX)(R9*8)
	TESTQ   R11, R11
	JZ      ghpfrow
	PREFETCHT0 (R11)(R9*8)

ghpfrow:
	IMULQ   R12, R9
	PREFETCHT0 (BX)(R9*1)

ghfeat:
	CMPQ    AX, CX
	JGE     ghnext
	MOVLQSX (SI)(AX*4), R8
	MOVBQZX (R10)(AX*1), R9
	ADDQ    R9, R8
	SHLQ    $5, R8
	VADDPD  (DI)(R8*1), Y0, Y1
	VMOVUPD Y1, (DI)(R8*1)
	INCQ    AX
	JMP     ghfeat

ghnext:
	INCQ R15
	JMP  ghrow

ghdone:
	VZEROUPPER
	RET

// func histColsAVX(h *float64, off *int32, nf int, cols *uint8, n int, rows *int32, nrows int, vecs *float64)
TEXT ·histColsAVX(SB), NOSPLIT, $0-64
	MOVQ h+0(FP), DI
	MOVQ off+8(FP), SI
	MOVQ nf+16(FP), CX
	MOVQ cols+24(FP), BX
	MOVQ n+32(FP), R12
	MOVQ rows+40(FP), R13
	MOVQ nrows+48(FP), R14
	MOVQ vecs+56(FP), DX
	XORQ R15, R15

hcrow:
	CMPQ R15, R14
	JGE  hcdone
	MOVLQSX (R13)(R15*4), R10
	ADDQ    BX, R10            // R10: the row's byte of the first column
	VMOVUPD (DX), Y0           // the row's 4 values
	ADDQ    $32, DX
	XORQ    AX, AX

hcfeat:
	CMPQ    AX, CX
	JGE     hcnext
	MOVLQSX (SI)(AX*4), R8
	MOVBQZX (R10), R9
	ADDQ    R12, R10           // the next column
	ADDQ    R9, R8
	SHLQ    $5, R8
	VADDPD  (DI)(R8*1), Y0, Y1
	VMOVUPD Y1, (DI)(R8*1)
	INCQ    AX
	JMP     hcfeat

hcnext:
	INCQ R15
	JMP  hcrow

hcdone:
	VZEROUPPER
	RET
