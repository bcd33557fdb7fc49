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
