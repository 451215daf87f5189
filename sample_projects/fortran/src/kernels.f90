! Kernels that need the gfortran runtime: the matmul and norm2 intrinsics and internal
! formatted I/O are implemented in libgfortran, not inlined.
module kernels
  use iso_c_binding
  implicit none
contains

  subroutine mh_matmul(n, a, b, c) bind(c, name="mh_matmul")
    integer(c_int), value :: n
    real(c_double), intent(in) :: a(n, n), b(n, n)
    real(c_double), intent(out) :: c(n, n)
    c = matmul(a, b)
  end subroutine mh_matmul

  function mh_norm2(n, x) bind(c, name="mh_norm2") result(r)
    integer(c_int), value :: n
    real(c_double), intent(in) :: x(n)
    real(c_double) :: r
    r = norm2(x)
  end function mh_norm2

  subroutine mh_format(value, buffer, length) bind(c, name="mh_format")
    real(c_double), value :: value
    character(kind=c_char), intent(out) :: buffer(40)
    integer(c_int), intent(out) :: length
    character(len=40) :: text
    integer :: i
    write (text, '(ES24.16E3)') value
    text = adjustl(text)
    length = len_trim(text)
    do i = 1, length
      buffer(i) = text(i:i)
    end do
  end subroutine mh_format

end module kernels
